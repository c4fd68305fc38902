// A policy through the Welcome (helper/sandbox_settings.h): what the helper
// rebuilds must confine it as its host chose, on every platform, including
// for policies Build() would refuse (a raw SandboxPolicy reaches the host
// through LaunchOverrides and sandbox_policy_for_role).
#include "helper/sandbox_settings.h"

#include <vector>

#include "gtest/gtest.h"
#include "sandbox/sandbox_policy.h"
#include "sandbox/windows_confinement.h"

namespace bulkhead {
namespace {

using sandbox::Layer;
using sandbox::Network;
using sandbox::Requirement;
using sandbox::SandboxPolicy;

// Seccomp off: this test is about what travels beside the program.
SandboxPolicy WithoutSeccomp(SandboxPolicy policy) {
  policy.layers[static_cast<int>(Layer::kSeccomp)] = Requirement::kOff;
  return policy;
}

std::vector<SandboxPolicy> Policies() {
  std::vector<SandboxPolicy> policies;
  for (const char* role : {"renderer", "gpu", "utility", "network"}) {
    policies.push_back(WithoutSeccomp(sandbox::PresetForRole(role)));
  }
  // No network asked for, but the net-ns layer off: Build() refuses it.
  SandboxPolicy none_without_netns = policies[0];
  none_without_netns.layers[static_cast<int>(Layer::kNetNamespace)] =
      Requirement::kOff;
  policies.push_back(none_without_netns);
  // The host's network asked for with the net-ns layer on: no network.
  SandboxPolicy host_with_netns = policies[3];
  host_with_netns.layers[static_cast<int>(Layer::kNetNamespace)] =
      Requirement::kRequired;
  policies.push_back(host_with_netns);
  SandboxPolicy forks = policies[2];
  forks.allowed_syscalls.push_back("fork");
  policies.push_back(forks);
  return policies;
}

TEST(SandboxSettingsTest, TheHelperRebuildsTheConfinementItsHostChose) {
  for (const SandboxPolicy& policy : Policies()) {
    absl::StatusOr<ipc::SandboxSettings> settings = MakeSandboxSettings(policy);
    ASSERT_TRUE(settings.ok()) << policy.name << ": " << settings.status();
    absl::StatusOr<sandbox::LockdownRequest> request =
        LockdownRequestFromSettings(*settings);
    ASSERT_TRUE(request.ok()) << policy.name << ": " << request.status();
    const SandboxPolicy& rebuilt = request->policy;
    EXPECT_EQ(sandbox::ReachesHostNetwork(rebuilt),
              sandbox::ReachesHostNetwork(policy))
        << policy.name;
    EXPECT_EQ(sandbox::AllowsFork(rebuilt), sandbox::AllowsFork(policy))
        << policy.name;
    EXPECT_EQ(sandbox::WindowsConfinementFor(rebuilt, 0).token,
              sandbox::WindowsConfinementFor(policy, 0).token)
        << policy.name;
    EXPECT_EQ(sandbox::WindowsConfinementFor(rebuilt, 0).integrity,
              sandbox::WindowsConfinementFor(policy, 0).integrity)
        << policy.name;
  }
}

// The case that told them apart when the helper read the network from the
// net-ns layer alone.
TEST(SandboxSettingsTest, NoNetworkWithTheNetNamespaceOffStaysNoNetwork) {
  SandboxPolicy policy = WithoutSeccomp(sandbox::PresetForRole("renderer"));
  policy.layers[static_cast<int>(Layer::kNetNamespace)] = Requirement::kOff;
  ASSERT_EQ(policy.network, Network::kNone);
  absl::StatusOr<ipc::SandboxSettings> settings = MakeSandboxSettings(policy);
  ASSERT_TRUE(settings.ok()) << settings.status();
  absl::StatusOr<sandbox::LockdownRequest> request =
      LockdownRequestFromSettings(*settings);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_FALSE(sandbox::ReachesHostNetwork(request->policy));
  EXPECT_EQ(request->policy.network, Network::kNone);
}

}  // namespace
}  // namespace bulkhead
