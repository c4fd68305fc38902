// The Linux sandbox with real helpers: namespaces at launch, lockdown before
// Ready, the probe's report, violations, failing layers, and a helper's
// children dying with it.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "ipc/proto/work.pb.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_policy.h"
#include "tests/browser_host/host_fixture.h"
#include "tests/support/process_probe.h"

namespace bulkhead {
namespace {

using sandbox::Layer;
using sandbox::Requirement;

class SandboxedLauncherTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.sandbox_helpers = true;
    options.forward_helper_output = false;
    if (policy_for_role_) options.sandbox_policy_for_role = policy_for_role_;
  }

  absl::StatusOr<ipc::LayoutTextResponse> Ask(HelperProcess* helper,
                                              const std::string& text) {
    ipc::LayoutTextRequest request;
    request.set_text(text);
    request.set_width(80);
    return CallAndWait<ipc::LayoutTextResponse>(helper, request);
  }

  std::function<sandbox::SandboxPolicy(absl::string_view)> policy_for_role_;
};

// The inode of /proc/<pid>/ns/<name>, 0 when unreadable.
uint64_t NamespaceInode(int64_t pid, const char* name) {
  struct stat st;
  const std::string path =
      "/proc/" + std::to_string(pid) + "/ns/" + std::string(name);
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_F(SandboxedLauncherTest, EveryPresetRoleRunsWithEveryRequiredLayerOn) {
  for (const std::string& role : sandbox::PresetNames()) {
    SCOPED_TRACE(role);
    HelperProcess* helper = LaunchReady(role);
    ASSERT_NE(helper, nullptr);
    ASSERT_TRUE(helper->sandboxed());
    const auto& layers = helper->sandbox_status().layers();
    const sandbox::SandboxPolicy& policy = helper->sandbox_policy();
    for (int i = 0; i < sandbox::kLayerCount; ++i) {
      const Layer layer = static_cast<Layer>(i);
      const auto found = layers.find(sandbox::LayerName(layer));
      ASSERT_NE(found, layers.end()) << sandbox::LayerName(layer);
      if (policy.requirement(layer) == Requirement::kRequired) {
        EXPECT_TRUE(absl::StartsWith(found->second, "on"))
            << sandbox::LayerName(layer) << ": " << found->second;
      }
    }
    EXPECT_TRUE(helper->sandbox_status().sandboxed());
  }
}

TEST_F(SandboxedLauncherTest, HelperLivesInNamespacesOfItsOwn) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  const int64_t self = ::getpid();
  for (const char* name : {"user", "pid", "net", "mnt", "ipc", "uts"}) {
    const uint64_t theirs = NamespaceInode(helper->pid(), name);
    ASSERT_NE(theirs, 0u) << name;
    EXPECT_NE(theirs, NamespaceInode(self, name)) << name;
  }
  // The network preset keeps the host's network.
  HelperProcess* network = LaunchReady("network");
  ASSERT_NE(network, nullptr);
  EXPECT_EQ(NamespaceInode(network->pid(), "net"), NamespaceInode(self, "net"));
}

TEST_F(SandboxedLauncherTest, RealWorkStillSucceedsAfterLockdown) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<ipc::LayoutTextResponse> laid_out =
      Ask(helper, "locked down and still working");
  ASSERT_TRUE(laid_out.ok()) << laid_out.status();
  EXPECT_EQ(laid_out->lines_size(), 1);
  absl::StatusOr<absl::Duration> rtt = absl::ZeroDuration();
  bool pinged = false;
  helper->Ping(absl::Now() + absl::Seconds(10),
               [&](absl::StatusOr<absl::Duration> result) {
                 rtt = result;
                 pinged = true;
               });
  ASSERT_TRUE(RunUntil([&] { return pinged; }));
  EXPECT_TRUE(rtt.ok()) << rtt.status();
}

class ViolationTest : public SandboxedLauncherTest,
                      public ::testing::WithParamInterface<const char*> {};

TEST_P(ViolationTest, ForbiddenCallEndsTheHelperAsAViolationNamingIt) {
  HelperProcess* sibling = LaunchReady("renderer");
  HelperProcess* helper = LaunchReady("violator");
  ASSERT_NE(helper, nullptr);
  ASSERT_NE(sibling, nullptr);
  const uint64_t id = helper->id();
  helper->Call<ipc::LayoutTextRequest, ipc::LayoutTextResponse>(
      [&] {
        ipc::LayoutTextRequest request;
        request.set_text(GetParam());
        return request;
      }(),
      absl::Now() + absl::Seconds(10),
      [](absl::StatusOr<ipc::LayoutTextResponse>) {});
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kSandboxViolation) << exit->Describe();
  EXPECT_EQ(exit->syscall, GetParam()) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGSYS);
  EXPECT_FALSE(exit->stack_trace.empty());
  // The sibling never noticed.
  absl::StatusOr<ipc::LayoutTextResponse> answer = Ask(sibling, "fine");
  EXPECT_TRUE(answer.ok()) << answer.status();
}

INSTANTIATE_TEST_SUITE_P(Calls, ViolationTest,
                         ::testing::Values("socket", "ptrace", "mount"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

class RequiredLayerTest : public SandboxedLauncherTest {
 protected:
  void SetUp() override {
    // A chroot is required, but there is no private mount namespace to make
    // the empty root in: the helper must refuse to run.
    policy_for_role_ = [](absl::string_view role) {
      sandbox::SandboxPolicy policy = sandbox::PresetForRole(role);
      policy.layers[static_cast<int>(Layer::kMountNamespace)] =
          Requirement::kOff;
      return policy;
    };
    SandboxedLauncherTest::SetUp();
  }
};

TEST_F(RequiredLayerTest, FailingRequiredLayerFailsTheLaunchNamingIt) {
  std::optional<absl::Status> ready;
  absl::StatusOr<HelperProcess*> launched = host_->Launch(
      "renderer",
      [&](absl::StatusOr<HelperProcess*> helper) { ready = helper.status(); });
  ASSERT_TRUE(launched.ok()) << launched.status();
  ASSERT_TRUE(RunUntil([&] { return ready.has_value() && !exits_.empty(); }));
  EXPECT_FALSE(ready->ok());
  ASSERT_EQ(exits_.size(), 1u);
  EXPECT_EQ(exits_[0].kind, ExitKind::kLaunchFailed) << exits_[0].Describe();
  EXPECT_TRUE(absl::StrContains(exits_[0].launch_status.message(), "chroot"))
      << exits_[0].launch_status;
}

class ForkingPolicyTest : public SandboxedLauncherTest {
 protected:
  void SetUp() override {
    // A policy that lets the helper fork, to see its children die with it.
    policy_for_role_ = [](absl::string_view role) {
      sandbox::SandboxPolicyBuilder builder{std::string(role)};
      builder.AllowBaseRuntime()
          .BestEffort(Layer::kLandlock)
          .BestEffort(Layer::kCgroup)
          .AllowSyscallIfArg("clone", 0, 0, 0)
          .AllowSyscalls({"wait4"});
      absl::StatusOr<sandbox::SandboxPolicy> policy = builder.Build();
      EXPECT_TRUE(policy.ok()) << policy.status();
      return *policy;
    };
    SandboxedLauncherTest::SetUp();
  }
};

TEST_F(ForkingPolicyTest, HelpersChildrenDieWithIt) {
  HelperProcess* helper = LaunchReady("forker");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<ipc::LayoutTextResponse> forked = Ask(helper, "");
  ASSERT_TRUE(forked.ok()) << forked.status();
  // Its child, as the host sees it: the helper's only child.
  std::ifstream children("/proc/" + std::to_string(helper->pid()) + "/task/" +
                         std::to_string(helper->pid()) + "/children");
  int64_t grandchild = 0;
  ASSERT_TRUE(children >> grandchild);
  ASSERT_TRUE(testing::ProcessExists(grandchild));
  const uint64_t id = helper->id();
  helper->Kill(HostAction::kKillRequested, "test");
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
  // By the time the host reports the exit, the namespace is gone.
  EXPECT_FALSE(testing::ProcessExists(grandchild));
}

class NoSandboxTest : public SandboxedLauncherTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    SandboxedLauncherTest::ModifyOptions(options);
    options.sandbox_helpers = false;
  }
};

TEST_F(NoSandboxTest, UnsandboxedHelperReportsEveryLayerOff) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  EXPECT_FALSE(helper->sandboxed());
  EXPECT_FALSE(helper->sandbox_status().sandboxed());
  const auto& layers = helper->sandbox_status().layers();
  ASSERT_TRUE(layers.contains("seccomp"));
  EXPECT_TRUE(absl::StartsWith(layers.at("seccomp"), "off"))
      << layers.at("seccomp");
  EXPECT_EQ(NamespaceInode(helper->pid(), "pid"),
            NamespaceInode(::getpid(), "pid"));
}

}  // namespace
}  // namespace bulkhead
