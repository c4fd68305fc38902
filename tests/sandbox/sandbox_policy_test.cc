// The policy builder's checks and the built-in presets.
#include "sandbox/sandbox_policy.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sandbox/syscall_table.h"

namespace bulkhead::sandbox {
namespace {

bool Allows(const SandboxPolicy& policy, const std::string& name) {
  return std::find(policy.allowed_syscalls.begin(),
                   policy.allowed_syscalls.end(),
                   name) != policy.allowed_syscalls.end();
}

bool HasArgumentRule(const SandboxPolicy& policy, const std::string& name) {
  return std::any_of(
      policy.argument_rules.begin(), policy.argument_rules.end(),
      [&](const ArgumentRule& rule) { return rule.syscall == name; });
}

TEST(SandboxPolicyTest, LayerNamesRoundTrip) {
  for (int i = 0; i < kLayerCount; ++i) {
    const Layer layer = static_cast<Layer>(i);
    std::optional<Layer> parsed = LayerFromName(LayerName(layer));
    ASSERT_TRUE(parsed.has_value()) << LayerName(layer);
    EXPECT_EQ(*parsed, layer);
  }
  EXPECT_FALSE(LayerFromName("moat").has_value());
}

TEST(SandboxPolicyTest, BuilderStartsWithEveryLayerRequired) {
  absl::StatusOr<SandboxPolicy> policy =
      SandboxPolicyBuilder("strict").AllowBaseRuntime().Build();
  ASSERT_TRUE(policy.ok()) << policy.status();
  for (int i = 0; i < kLayerCount; ++i) {
    EXPECT_EQ(policy->layers[i], Requirement::kRequired)
        << LayerName(static_cast<Layer>(i));
  }
  EXPECT_FALSE(policy->disabled());
  EXPECT_TRUE(NoSandboxPolicy().disabled());
}

TEST(SandboxPolicyTest, UnknownSystemCallIsRejectedByName) {
  if (!SyscallTableAvailable()) GTEST_SKIP() << "no system-call table here";
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("typo")
                                             .AllowBaseRuntime()
                                             .AllowSyscall("opne")
                                             .Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(policy.status()));
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "'opne'"))
      << policy.status();
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "'typo'"));
}

TEST(SandboxPolicyTest, SeccompWithoutNoNewPrivsIsRejected) {
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("x")
                                             .AllowBaseRuntime()
                                             .Disable(Layer::kNoNewPrivs)
                                             .Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "no-new-privs"));
}

TEST(SandboxPolicyTest, EmptyAllowlistIsRejected) {
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("empty").Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(policy.status()));
}

TEST(SandboxPolicyTest, CallBothAllowedAndFailedIsRejected) {
  if (!SyscallTableAvailable()) GTEST_SKIP() << "no system-call table here";
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("both")
                                             .AllowBaseRuntime()
                                             .AllowSyscall("openat")
                                             .Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "openat"));
}

TEST(SandboxPolicyTest, PresetsDifferAsDocumented) {
  const SandboxPolicy renderer = PresetForRole("renderer");
  const SandboxPolicy gpu = PresetForRole("gpu");
  const SandboxPolicy network = PresetForRole("network");
  // The renderer is strictest: no sockets, no network.
  EXPECT_TRUE(renderer.enabled(Layer::kNetNamespace));
  EXPECT_FALSE(HasArgumentRule(renderer, "socket"));
  EXPECT_FALSE(Allows(renderer, "connect"));
  // gpu and utility get a little more than the renderer.
  EXPECT_GT(gpu.allowed_syscalls.size(), renderer.allowed_syscalls.size());
  EXPECT_GT(PresetForRole("utility").allowed_syscalls.size(),
            renderer.allowed_syscalls.size());
  // The network role keeps the host's network and may open sockets, but has
  // no filesystem either.
  EXPECT_FALSE(network.enabled(Layer::kNetNamespace));
  EXPECT_TRUE(HasArgumentRule(network, "socket"));
  EXPECT_TRUE(Allows(network, "connect"));
  EXPECT_EQ(network.requirement(Layer::kChroot), Requirement::kRequired);
  // An unknown role gets the strictest.
  EXPECT_EQ(PresetForRole("plugin").allowed_syscalls,
            renderer.allowed_syscalls);
  // Kernel-dependent layers are best effort.
  EXPECT_EQ(renderer.requirement(Layer::kLandlock), Requirement::kBestEffort);
}

}  // namespace
}  // namespace bulkhead::sandbox
