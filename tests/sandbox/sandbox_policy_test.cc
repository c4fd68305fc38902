// The policy builder's checks and the built-in presets.
#include "sandbox/sandbox_policy.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
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
  // The network is the policy's own choice, not the role's name.
  EXPECT_EQ(network.network, Network::kHost);
  EXPECT_EQ(renderer.network, Network::kNone);
  EXPECT_EQ(gpu.network, Network::kNone);
  // No preset hands the host's environment on.
  EXPECT_TRUE(renderer.environment.empty());
  EXPECT_TRUE(network.environment.empty());
  // An unknown role gets the strictest.
  EXPECT_EQ(PresetForRole("plugin").allowed_syscalls,
            renderer.allowed_syscalls);
  // Kernel-dependent layers are best effort.
  EXPECT_EQ(renderer.requirement(Layer::kLandlock), Requirement::kBestEffort);
}

}  // namespace
TEST(SandboxPolicyTest, NetworkIsOneChoiceThatDecidesTheLayerAndTheSockets) {
  absl::StatusOr<SandboxPolicy> none =
      SandboxPolicyBuilder("none").AllowBaseRuntime().Build();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->network, Network::kNone);
  EXPECT_EQ(none->requirement(Layer::kNetNamespace), Requirement::kRequired);
  EXPECT_FALSE(HasArgumentRule(*none, "socket"));

  absl::StatusOr<SandboxPolicy> host = SandboxPolicyBuilder("host")
                                           .AllowBaseRuntime()
                                           .SetNetwork(Network::kHost)
                                           .Build();
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_FALSE(host->enabled(Layer::kNetNamespace));
  EXPECT_TRUE(HasArgumentRule(*host, "socket"));
  EXPECT_TRUE(Allows(*host, "connect"));

  // Back to none: the sockets go with it.
  const SandboxPolicy back = WithNetwork(*host, Network::kNone);
  EXPECT_TRUE(back.enabled(Layer::kNetNamespace));
  EXPECT_FALSE(HasArgumentRule(back, "socket"));
  EXPECT_FALSE(Allows(back, "connect"));
  EXPECT_TRUE(SandboxPolicyBuilder("x").AllowBaseRuntime().Build().ok());
}

TEST(SandboxPolicyTest, ContradictoryNetworksAreRefused) {
  absl::StatusOr<SandboxPolicy> no_namespace =
      SandboxPolicyBuilder("p")
          .AllowBaseRuntime()
          .Disable(Layer::kNetNamespace)
          .Build();
  ASSERT_TRUE(absl::IsInvalidArgument(no_namespace.status()));
  EXPECT_TRUE(absl::StrContains(no_namespace.status().message(),
                                "network none needs the net-ns layer"));
  absl::StatusOr<SandboxPolicy> sockets = SandboxPolicyBuilder("p")
                                              .AllowBaseRuntime()
                                              .AllowSyscall("socket")
                                              .Build();
  ASSERT_TRUE(absl::IsInvalidArgument(sockets.status()));
  EXPECT_TRUE(
      absl::StrContains(sockets.status().message(), "socket is allowed"));
  absl::StatusOr<SandboxPolicy> host_in_namespace =
      SandboxPolicyBuilder("p")
          .AllowBaseRuntime()
          .SetNetwork(Network::kHost)
          .Require(Layer::kNetNamespace)
          .Build();
  ASSERT_TRUE(absl::IsInvalidArgument(host_in_namespace.status()));
  EXPECT_TRUE(absl::StrContains(host_in_namespace.status().message(),
                                "network host, but the net-ns layer is on"));
}

TEST(SandboxPolicyTest, EnvironmentEntriesAreKeptInOrderAndChecked) {
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("p")
                                             .AllowBaseRuntime()
                                             .SetEnv("LANG", "C.UTF-8")
                                             .PassEnv("TZ")
                                             .Build();
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->environment,
            (std::vector<std::string>{"LANG=C.UTF-8", "TZ"}));
  EXPECT_TRUE(absl::IsInvalidArgument(SandboxPolicyBuilder("p")
                                          .AllowBaseRuntime()
                                          .PassEnv("")
                                          .Build()
                                          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SandboxPolicyBuilder("p")
                                          .AllowBaseRuntime()
                                          .SetEnv("A", std::string("b\0c", 3))
                                          .Build()
                                          .status()));
  EXPECT_EQ(NetworkFromName("host"), Network::kHost);
  EXPECT_EQ(NetworkFromName("none"), Network::kNone);
  EXPECT_FALSE(NetworkFromName("all").has_value());
}

}  // namespace bulkhead::sandbox
