// The Windows levels each policy gets (sandbox/windows_confinement.h), on
// every platform: the host and the helper compute them alike, so the mapping
// is data and is checked here; applying it is tested under Wine and on a
// real Windows (tests/host/launch/sandboxed_launcher_win_test.cc).
#include "sandbox/windows_confinement.h"

#include "gtest/gtest.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {
namespace {

SandboxPolicy BuiltOrEmpty(const SandboxPolicyBuilder& builder) {
  absl::StatusOr<SandboxPolicy> policy = builder.Build();
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : SandboxPolicy();
}

TEST(WindowsConfinementTest, TheRendererIsLockedDownAtUntrustedIntegrity) {
  const WindowsConfinement renderer =
      WindowsConfinementFor(PresetForRole("renderer"), 0);
  EXPECT_EQ(renderer.token, WindowsTokenLevel::kLockdown);
  EXPECT_EQ(renderer.integrity, WindowsIntegrity::kUntrusted);
  EXPECT_EQ(renderer.active_processes, 1u);
  EXPECT_TRUE(renderer.alternate_desktop);
  EXPECT_TRUE(renderer.strict_mitigations);
  // The preset's address-space limit, as the job's memory limit.
  EXPECT_EQ(renderer.memory_limit_bytes, uint64_t{8} << 30);
  EXPECT_EQ(WindowsConfinementFor(PresetForRole("gpu"), 0), renderer);
}

TEST(WindowsConfinementTest,
     TheHostNetworkKeepsTheLimitedTokenAndLowIntegrity) {
  const WindowsConfinement network =
      WindowsConfinementFor(PresetForRole("network"), 0);
  EXPECT_EQ(network.token, WindowsTokenLevel::kLimited);
  EXPECT_EQ(network.integrity, WindowsIntegrity::kLow);
  EXPECT_FALSE(network.strict_mitigations);
  EXPECT_EQ(network.active_processes, 1u);
  EXPECT_TRUE(network.alternate_desktop);
}

// As the helper rebuilds it from its Welcome: the net-ns layer is what it
// knows of the network, and kHost with the layer on is no network.
TEST(WindowsConfinementTest, HostNetworkWithTheNetNamespaceOnIsNoNetwork) {
  SandboxPolicy policy = PresetForRole("network");
  policy.layers[static_cast<int>(Layer::kNetNamespace)] =
      Requirement::kRequired;
  EXPECT_EQ(WindowsConfinementFor(policy, 0).token,
            WindowsTokenLevel::kLockdown);
}

// Windows enforces no view (its paths are POSIX ones): a view of real files
// does not weaken a role with no network.
TEST(WindowsConfinementTest, AViewOfRealFilesStillLocksDown) {
  for (const bool write : {false, true}) {
    SandboxPolicyBuilder builder =
        SandboxPolicyBuilder::FromPolicy(PresetForRole("renderer"));
    if (write) {
      builder.AddReadWrite("/var/tmp");
    } else {
      builder.AddReadOnly("/usr/share");
    }
    const WindowsConfinement confinement =
        WindowsConfinementFor(BuiltOrEmpty(builder), 0);
    EXPECT_EQ(confinement.token, WindowsTokenLevel::kLockdown) << write;
    EXPECT_EQ(confinement.integrity, WindowsIntegrity::kUntrusted) << write;
  }
}

// A scratch directory or a device names no user file: still locked down.
TEST(WindowsConfinementTest, ATmpfsOrADeviceStillLocksDown) {
  const SandboxPolicy policy =
      BuiltOrEmpty(SandboxPolicyBuilder::FromPolicy(PresetForRole("renderer"))
                       .AddTmpfs("/scratch", 1 << 20)
                       .AddDevice("/dev/null"));
  EXPECT_EQ(WindowsConfinementFor(policy, 0).token,
            WindowsTokenLevel::kLockdown);
}

TEST(WindowsConfinementTest, AForkingRoleGetsItsProcessLimitInTheJob) {
  // Pushed directly: Build() refuses "fork" where the architecture has none
  // (arm64).
  SandboxPolicy forks = PresetForRole("utility");
  forks.allowed_syscalls.push_back("fork");
  forks.limits.processes = 12;
  EXPECT_TRUE(AllowsFork(forks));
  EXPECT_EQ(WindowsConfinementFor(forks, 0).active_processes, 12u);
  SandboxPolicy unlimited = forks;
  unlimited.limits.processes = 0;
  EXPECT_EQ(WindowsConfinementFor(unlimited, 0).active_processes, 0u)
      << "0 is no limit, as in the policy";
}

// The base runtime allows clone for threads only: not a fork.
TEST(WindowsConfinementTest, CloneForThreadsIsNotAFork) {
  EXPECT_FALSE(AllowsFork(PresetForRole("renderer")));
}

TEST(WindowsConfinementTest, TheLaunchsMemoryLimitWinsOverThePolicys) {
  EXPECT_EQ(WindowsConfinementFor(PresetForRole("renderer"), 256 << 20)
                .memory_limit_bytes,
            256u << 20);
  SandboxPolicy no_limit = PresetForRole("renderer");
  no_limit.limits.address_space_bytes = 0;
  EXPECT_EQ(WindowsConfinementFor(no_limit, 0).memory_limit_bytes, 0u);
}

// Every layer off (a policy run unsandboxed): the helper never locks itself
// down, so it could never drop a start-up token.
TEST(WindowsConfinementTest, APolicyWithEveryLayerOffKeepsTheLimitedToken) {
  const SandboxPolicy off = NoSandboxPolicy();
  ASSERT_TRUE(off.disabled());
  EXPECT_EQ(WindowsConfinementFor(off, 0).token, WindowsTokenLevel::kLimited);
  EXPECT_EQ(WindowsConfinementFor(off, 0).integrity, WindowsIntegrity::kLow);
}

TEST(WindowsConfinementTest, NamesAreStable) {
  EXPECT_STREQ(WindowsTokenLevelName(WindowsTokenLevel::kLimited), "limited");
  EXPECT_STREQ(WindowsTokenLevelName(WindowsTokenLevel::kLockdown), "lockdown");
  EXPECT_STREQ(WindowsIntegrityName(WindowsIntegrity::kLow), "low");
  EXPECT_STREQ(WindowsIntegrityName(WindowsIntegrity::kUntrusted), "untrusted");
}

}  // namespace
}  // namespace bulkhead::sandbox
