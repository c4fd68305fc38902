// Host::Launch with LaunchOverrides: one launch's settings win over
// Options and role_options for that helper alone. Real helpers; every wait is
// on an event, bounded by a deadline.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "host/launch/sandboxed_launcher.h"
#include "sample_roles/work.pb.h"
#include "sandbox/sandbox_policy.h"
#include "tests/host/host_fixture.h"

#if defined(BULKHEAD_OS_LINUX)
#include "tests/support/proc_probe_linux.h"
#endif

namespace bulkhead {
namespace {

using ::testing::Contains;
using ::testing::Not;

// Every helper sandboxed by default, but the gpu role's not.
class HostLaunchOverridesTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
    options.sandbox_helpers = SandboxedLaunchAvailable();
    options.role_options["gpu"].sandbox_helpers = false;
    // Only a launch's own heartbeat finds a hung helper within a test.
    options.heartbeat.timeout = absl::Hours(1);
  }

  void SetUp() override {
    if (!SandboxedLaunchAvailable()) {
      GTEST_SKIP() << "no sandboxed launch on this platform";
    }
    HostFixture::SetUp();
  }

  HelperProcess* LaunchReadyWith(const std::string& role,
                                 Host::LaunchOverrides overrides) {
    bool finished = false;
    HelperProcess* ready = nullptr;
    absl::StatusOr<HelperProcess*> launched = host_->Launch(
        role, std::move(overrides), [&](absl::StatusOr<HelperProcess*> helper) {
          finished = true;
          EXPECT_TRUE(helper.ok()) << helper.status();
          if (helper.ok()) ready = *helper;
        });
    EXPECT_TRUE(launched.ok()) << launched.status();
    if (!launched.ok()) return nullptr;
    EXPECT_TRUE(RunUntil([&] { return finished; })) << role << " never ready";
    return ready;
  }

  // The helper did real work.
  void ExpectServes(HelperProcess* helper) {
    roles::LayoutTextRequest request;
    request.set_text("still works");
    request.set_width(20);
    EXPECT_TRUE(CallAndWait<roles::LayoutTextResponse>(helper, request).ok())
        << helper->name();
  }
};

// A memory limit that changes nothing for the helper: under a sanitizer its
// address space limit would have to exceed the terabytes they reserve. On
// Windows, a job's limit.
#ifdef _WIN32
constexpr uint64_t kHarmlessMemoryLimit = uint64_t{3} << 30;
#else
constexpr uint64_t kHarmlessMemoryLimit = uint64_t{1} << 60;
#endif

#if defined(BULKHEAD_OS_LINUX)
// A process's argv as the OS has it.
std::vector<std::string> CommandLine(int64_t pid) {
  std::vector<std::string> args =
      absl::StrSplit(testing::CommandLineBytes(pid), '\0');
  // A helper forked by the zygote pads its title with NULs (zygote.h).
  while (!args.empty() && args.back().empty()) args.pop_back();
  return args;
}
#endif

TEST_F(HostLaunchOverridesTest, OneLaunchsSettingsApplyToThatHelperAlone) {
  HelperProcess* sandboxed = LaunchReady("renderer");
  ASSERT_NE(sandboxed, nullptr);

  Host::LaunchOverrides overrides;
  overrides.sandboxed = false;
  overrides.memory_limit_bytes = kHarmlessMemoryLimit;
  overrides.extra_args = {"--bulkhead-test-marker=overridden"};
  HelperProcess* plain = LaunchReadyWith("renderer", overrides);
  ASSERT_NE(plain, nullptr);

  EXPECT_TRUE(sandboxed->sandboxed());
  EXPECT_FALSE(plain->sandboxed());
  ExpectServes(sandboxed);
  ExpectServes(plain);
#if defined(BULKHEAD_OS_LINUX)
  const std::string limit =
      absl::StrCat("--memory-limit=", kHarmlessMemoryLimit);
  const std::vector<std::string> plain_args = CommandLine(plain->pid());
  EXPECT_THAT(plain_args, Contains(limit));
  EXPECT_THAT(plain_args, Contains("--bulkhead-test-marker=overridden"));
  EXPECT_THAT(plain_args, Contains("--type=renderer"));
  const std::vector<std::string> sandboxed_args = CommandLine(sandboxed->pid());
  EXPECT_THAT(sandboxed_args, Contains("--type=renderer"));
  EXPECT_THAT(sandboxed_args, Not(Contains(limit)));
  // Each waits for its Welcome as long as the host waits for its Ready (the
  // fixture's 2 s), not its own 10 s.
  for (const auto* args : {&plain_args, &sandboxed_args}) {
    EXPECT_THAT(*args, Contains("--handshake-timeout-ms=2000"));
  }
#endif
}

TEST_F(HostLaunchOverridesTest, ALaunchsPolicyReplacesTheRolesPreset) {
  Host::LaunchOverrides overrides;
  overrides.sandbox_policy = sandbox::PresetForRole("utility");
  HelperProcess* helper = LaunchReadyWith("renderer", overrides);
  ASSERT_NE(helper, nullptr);
  EXPECT_TRUE(helper->sandboxed());
  EXPECT_EQ(helper->sandbox_policy().name,
            sandbox::PresetForRole("utility").name);
  EXPECT_NE(helper->sandbox_policy().name,
            sandbox::PresetForRole("renderer").name);
  ExpectServes(helper);
}

TEST_F(HostLaunchOverridesTest, ALaunchWinsOverItsRolesOptions) {
  HelperProcess* by_role = LaunchReady("gpu");
  ASSERT_NE(by_role, nullptr);
  Host::LaunchOverrides overrides;
  overrides.sandboxed = true;
  HelperProcess* by_launch = LaunchReadyWith("gpu", overrides);
  ASSERT_NE(by_launch, nullptr);
  EXPECT_FALSE(by_role->sandboxed());
  EXPECT_TRUE(by_launch->sandboxed());
  EXPECT_FALSE(by_launch->sandbox_status().layers().empty());
}

TEST_F(HostLaunchOverridesTest, ALaunchsHeartbeatIsTheOneThatWatchesIt) {
  Host::LaunchOverrides overrides;
  overrides.heartbeat = Heartbeat::Options();
  overrides.heartbeat->interval = absl::Milliseconds(50);
  overrides.heartbeat->timeout = absl::Milliseconds(300);
  // Ready, then never reads its channel again: no Pong.
  HelperProcess* deaf = LaunchReadyWith("deaf", overrides);
  ASSERT_NE(deaf, nullptr);
  const ExitInfo* exit = WaitForExit(deaf->id());
  ASSERT_NE(exit, nullptr) << "not found hung within the wait";
  EXPECT_EQ(exit->kind, ExitKind::kHung) << exit->Describe();
}

}  // namespace
}  // namespace bulkhead
