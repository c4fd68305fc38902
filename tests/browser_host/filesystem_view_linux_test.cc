// A sandboxed helper with a filesystem view (SandboxPolicy::filesystem), on
// real helpers: what its probe finds from inside (each entry in force), the
// view's escape attempts (all blocked), and the launches the host refuses
// before spawning (a path that does not exist, a symlink). Run as root and,
// through Unprivileged.SandboxedHelpers, as nobody.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "host/launch/sandboxed_launcher.h"
#include "sandbox/sandbox_policy.h"
#include "tests/host/host_fixture.h"
#include "tests/support/sanitizer_env.h"

namespace bulkhead {
namespace {

constexpr uint64_t kTmpfsBytes = 256 << 10;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

class SandboxedLauncherViewTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.sandbox_helpers = true;
    options.forward_helper_output = false;
    options.sandbox_policy_for_role = [this](absl::string_view) {
      return policy_;
    };
  }

  void SetUp() override {
    if (!SandboxedLaunchAvailable()) {
      GTEST_SKIP() << "no sandboxed launch on this platform";
    }
    // A view names real, normalised paths: no "//" from TempDir's '/'.
    std::string pattern = ::testing::TempDir();
    while (!pattern.empty() && pattern.back() == '/') pattern.pop_back();
    pattern += "/bulkhead-view-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    ASSERT_EQ(::chmod(base_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((base_ + "/ro").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((base_ + "/rw").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((base_ + "/ro/cache").c_str(), 0755), 0);
    WriteFile(base_ + "/ro/data.txt", "in the view\n");
    WriteFile(base_ + "/model.bin", "weights\n");
    WriteFile(base_ + "/outside.txt", "secret\n");
    ASSERT_EQ(::symlink((base_ + "/ro").c_str(), (base_ + "/link").c_str()), 0);
    ASSERT_EQ(::symlink(base_.c_str(), (base_ + "/dirlink").c_str()), 0);
    absl::StatusOr<sandbox::SandboxPolicy> policy =
        sandbox::SandboxPolicyBuilder::FromPolicy(
            sandbox::PresetForRole("renderer"))
            .AddReadOnly(base_ + "/ro")
            .AddReadOnly(base_ + "/model.bin")
            .AddReadWrite(base_ + "/rw")
            // Read-write inside read-only: mounted on a mount point inside
            // the read-only bind.
            .AddReadWrite(base_ + "/ro/cache")
            .AddTmpfs(base_ + "/scratch", kTmpfsBytes)
            .AddDevice("/dev/null")
            .AddDevice("/dev/urandom")
            .Build();
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *std::move(policy);
    HostFixture::SetUp();
  }

  void TearDown() override {
    HostFixture::TearDown();
    if (base_.empty()) return;
    const std::string rm = absl::StrCat("rm -rf '", base_, "'");
    EXPECT_EQ(std::system(rm.c_str()), 0);
  }

  // Launches `role` with `policy_`, which must fail to start with `reason`
  // in its status: at once, or as a launch failure before any Ready.
  void ExpectLaunchRefused(const std::string& reason) {
    std::optional<absl::Status> ready;
    absl::StatusOr<HelperProcess*> launched =
        host_->Launch("renderer", [&](absl::StatusOr<HelperProcess*> helper) {
          ready = helper.status();
        });
    if (!launched.ok()) {
      EXPECT_TRUE(absl::StrContains(launched.status().message(), reason))
          << launched.status();
      return;
    }
    ASSERT_TRUE(RunUntil([&] { return ready.has_value() && !exits_.empty(); }));
    EXPECT_FALSE(ready->ok());
    ASSERT_EQ(exits_.size(), 1u);
    EXPECT_EQ(exits_[0].kind, ExitKind::kLaunchFailed) << exits_[0].Describe();
    EXPECT_TRUE(absl::StrContains(exits_[0].launch_status.message(), reason))
        << exits_[0].launch_status;
    EXPECT_EQ(exits_[0].pid, 0) << "spawned before the view was checked";
  }

  std::string base_;
  sandbox::SandboxPolicy policy_;
};

TEST_F(SandboxedLauncherViewTest, TheProbeFindsEveryEntryInForce) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  const ipc::SandboxStatus& status = helper->sandbox_status();
  EXPECT_TRUE(status.sandboxed());
  ASSERT_EQ(status.filesystem_size(), 7);
  std::map<std::string, ipc::FilesystemViewStatus> entries;
  for (const ipc::FilesystemViewStatus& entry : status.filesystem()) {
    EXPECT_TRUE(entry.in_force()) << entry.path() << ": " << entry.detail();
    entries[entry.path()] = entry;
    std::printf("  %-40s %-5s %s\n", entry.path().c_str(), entry.kind().c_str(),
                entry.detail().c_str());
  }
  EXPECT_EQ(entries[base_ + "/ro"].kind(), "ro");
  EXPECT_TRUE(absl::StartsWith(entries[base_ + "/ro"].detail(),
                               "readable, not writable"))
      << entries[base_ + "/ro"].detail();
  EXPECT_TRUE(absl::StartsWith(entries[base_ + "/model.bin"].detail(),
                               "readable, not writable"))
      << entries[base_ + "/model.bin"].detail();
  EXPECT_EQ(entries[base_ + "/rw"].detail(), "readable, writable");
  EXPECT_EQ(entries[base_ + "/ro/cache"].detail(), "readable, writable");
  EXPECT_EQ(entries[base_ + "/scratch"].detail(),
            absl::StrCat("writable, capped at ", kTmpfsBytes, " bytes"));
  EXPECT_EQ(entries["/dev/null"].detail(), "usable");
  EXPECT_TRUE(absl::StrContains(status.layers().at("chroot"),
                                "holding the filesystem view (7 entries)"))
      << status.layers().at("chroot");
  // Nothing the probe wrote is left in the read-write bind.
  EXPECT_EQ(std::system(
                absl::StrCat("test -z \"$(ls -A '", base_, "/rw')\"").c_str()),
            0);
  // Landlock (where the kernel has it) allows the view and nothing else.
  const std::string landlock = status.layers().at("landlock");
  if (absl::StartsWith(landlock, "on")) {
    EXPECT_TRUE(absl::StrContains(landlock, "the view's 7 entries only"))
        << landlock;
  }
}

TEST_F(SandboxedLauncherViewTest, EveryViewEscapeAttemptFails) {
  if (*testing::TrappedForkUnobservableReason() != '\0' &&
      *testing::SeccompTrapUnobservableReason() == '\0') {
    GTEST_SKIP() << testing::TrappedForkUnobservableReason();
  }
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  ipc::Control request;
  ipc::Fault* fault = request.mutable_fault();
  fault->set_kind(ipc::FAULT_KIND_ESCAPE);
  ipc::EscapeTargets* targets = fault->mutable_escape_targets();
  targets->set_host_pid(::getpid());
  targets->set_view_ro_dir(base_ + "/ro");
  targets->set_view_rw_dir(base_ + "/rw");
  targets->set_view_tmpfs_dir(base_ + "/scratch");
  targets->set_view_tmpfs_bytes(kTmpfsBytes);
  targets->set_view_outside_file(base_ + "/outside.txt");
  std::optional<absl::StatusOr<ipc::Control>> reply;
  helper->CallControl(
      request, absl::Now() + absl::Seconds(60),
      [&](absl::StatusOr<ipc::Control> result) { reply = std::move(result); });
  ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }, absl::Seconds(90)));
  ASSERT_TRUE(reply->ok()) << reply->status();
  int view_attempts = 0;
  for (const ipc::EscapeAttempt& attempt : (*reply)->fault().escape_results()) {
    if (!absl::StartsWith(attempt.name(), "view-")) continue;
    ++view_attempts;
    EXPECT_TRUE(attempt.blocked())
        << attempt.name() << " -> " << attempt.outcome();
    std::printf("  %-24s %s\n", attempt.name().c_str(),
                attempt.outcome().c_str());
  }
  EXPECT_EQ(view_attempts, 8);
  // Nothing planted on the host through the read-write bind.
  struct stat st;
  EXPECT_NE(::lstat((base_ + "/rw/.bulkhead-link").c_str(), &st), 0);
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
}

TEST_F(SandboxedLauncherViewTest, APathThatDoesNotExistFailsTheLaunch) {
  policy_ = *sandbox::SandboxPolicyBuilder::FromPolicy(policy_)
                 .AddReadOnly(base_ + "/missing")
                 .Build();
  ExpectLaunchRefused(absl::StrCat("'", base_, "/missing' does not exist"));
}

TEST_F(SandboxedLauncherViewTest, ASymlinkAtTheEndFailsTheLaunch) {
  policy_ = *sandbox::SandboxPolicyBuilder::FromPolicy(
                 sandbox::PresetForRole("renderer"))
                 .AddReadOnly(base_ + "/link")
                 .Build();
  ExpectLaunchRefused(
      absl::StrCat("'", base_, "/link' goes through a symlink"));
}

TEST_F(SandboxedLauncherViewTest, ASymlinkOnTheWayFailsTheLaunch) {
  policy_ = *sandbox::SandboxPolicyBuilder::FromPolicy(
                 sandbox::PresetForRole("renderer"))
                 .AddReadWrite(base_ + "/dirlink/rw")
                 .Build();
  ExpectLaunchRefused(
      absl::StrCat("'", base_, "/dirlink/rw' goes through a symlink"));
}

TEST_F(SandboxedLauncherViewTest, WithoutAViewTheRootStaysEmpty) {
  policy_ = sandbox::PresetForRole("renderer");
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->sandbox_status().filesystem_size(), 0);
  EXPECT_TRUE(absl::StrContains(helper->sandbox_status().layers().at("chroot"),
                                "empty read-only tmpfs"));
}

}  // namespace
}  // namespace bulkhead
