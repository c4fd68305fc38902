// ApplyHostConfig: a parsed config onto the host's options (host_config.h).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "browser_host/host_config.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {

absl::StatusOr<sandbox::SandboxPolicy> SandboxPolicyForRole(
    const RoleConfig& role, absl::string_view role_name) {
  const bool own = role.sandbox == "default" || role.sandbox == "none";
  sandbox::SandboxPolicyBuilder builder =
      sandbox::SandboxPolicyBuilder::FromPolicy(
          sandbox::PresetForRole(own ? role_name : role.sandbox));
  const uint64_t cpu_seconds =
      static_cast<uint64_t>(absl::ToInt64Seconds(role.cpu_limit));
  if (cpu_seconds > 0) builder.SetCpuSecondsLimit(cpu_seconds);
  for (const std::string& name : role.allow_syscalls) {
    builder.AllowSyscall(name);
  }
  for (const sandbox::FilesystemEntry& entry : role.filesystem) {
    switch (entry.kind) {
      case sandbox::FilesystemEntry::Kind::kReadOnly:
        builder.AddReadOnly(entry.path);
        break;
      case sandbox::FilesystemEntry::Kind::kReadWrite:
        builder.AddReadWrite(entry.path);
        break;
      case sandbox::FilesystemEntry::Kind::kTmpfs:
        builder.AddTmpfs(entry.path, entry.size_bytes);
        break;
      case sandbox::FilesystemEntry::Kind::kDevice:
        builder.AddDevice(entry.path);
        break;
    }
  }
  for (const sandbox::BrokerRule& rule : role.broker_rules) {
    if (rule.prefix) {
      rule.write ? builder.BrokerAllowWriteUnder(rule.path)
                 : builder.BrokerAllowReadUnder(rule.path);
    } else {
      rule.write ? builder.BrokerAllowWrite(rule.path)
                 : builder.BrokerAllowRead(rule.path);
    }
  }
  for (const sandbox::PreopenedFile& file : role.preopened) {
    builder.PreOpen(file.name, file.path, file.write);
  }
  return builder.Build();
}

void ApplyHostConfig(const HostConfig& config, Host::Options& options) {
  const bool platform_sandbox = options.sandbox_helpers;
  auto role_options = [platform_sandbox](const RoleConfig& role) {
    Host::RoleOptions out;
    out.sandbox_helpers = role.sandbox == "none" ? false : platform_sandbox;
    out.memory_limit_bytes = role.memory_limit_bytes;
    out.heartbeat = role.heartbeat;
    return out;
  };
  const Host::RoleOptions defaults = role_options(config.defaults);
  options.sandbox_helpers = *defaults.sandbox_helpers;
  options.memory_limit_bytes = *defaults.memory_limit_bytes;
  options.heartbeat = *defaults.heartbeat;
  // Each role's policy: its preset (or the one the config names), with the
  // config's CPU limit, network, environment and file access.
  struct PolicyChoice {
    std::string preset;
    uint64_t cpu_seconds = 0;
    // The config's view and system calls, checked when it was parsed.
    std::optional<sandbox::SandboxPolicy> policy;
    std::optional<sandbox::Network> network;
    std::vector<std::string> environment;
    std::vector<sandbox::BrokerRule> broker_rules;
    std::vector<sandbox::PreopenedFile> preopened;
  };
  std::map<std::string, PolicyChoice, std::less<>> policies;
  for (const RoleConfig& role : config.roles) {
    options.role_options[role.name] = role_options(role);
    policies[role.name] = {
        role.sandbox == "default" || role.sandbox == "none" ? role.name
                                                            : role.sandbox,
        static_cast<uint64_t>(absl::ToInt64Seconds(role.cpu_limit)),
        std::nullopt,
        role.network,
        role.environment,
        role.broker_rules,
        role.preopened};
    if (!role.filesystem.empty() || !role.allow_syscalls.empty()) {
      absl::StatusOr<sandbox::SandboxPolicy> policy =
          SandboxPolicyForRole(role, role.name);
      if (policy.ok()) policies[role.name].policy = *std::move(policy);
    }
  }
  const PolicyChoice fallback = {
      "",
      static_cast<uint64_t>(absl::ToInt64Seconds(config.defaults.cpu_limit)),
      std::nullopt,
      config.defaults.network,
      config.defaults.environment,
      config.defaults.broker_rules,
      config.defaults.preopened};
  options.sandbox_policy_for_role = [policies = std::move(policies), fallback,
                                     defaults = config.defaults](
                                        absl::string_view role) {
    const auto found = policies.find(role);
    const PolicyChoice& choice =
        found != policies.end() ? found->second : fallback;
    // The network, environment and file access go on whichever policy the
    // role gets (a role whose sandbox is "none" keeps its file access even
    // when its view was not checked and did not build). No preset has file
    // access of its own: the config's lists are the whole of it.
    auto finish = [&choice](sandbox::SandboxPolicy policy) {
      if (choice.network.has_value()) {
        policy = sandbox::WithNetwork(std::move(policy), *choice.network);
      }
      policy.environment.insert(policy.environment.end(),
                                choice.environment.begin(),
                                choice.environment.end());
      policy.broker_rules = choice.broker_rules;
      policy.preopened = choice.preopened;
      return policy;
    };
    if (choice.policy.has_value()) return finish(*choice.policy);
    if (found == policies.end() &&
        (!defaults.filesystem.empty() || !defaults.allow_syscalls.empty())) {
      // A role the config does not list: the defaults' additions on its own
      // preset.
      absl::StatusOr<sandbox::SandboxPolicy> policy =
          SandboxPolicyForRole(defaults, role);
      if (policy.ok()) return finish(*std::move(policy));
    }
    sandbox::SandboxPolicy policy = sandbox::PresetForRole(
        choice.preset.empty() ? role : absl::string_view(choice.preset));
    if (choice.cpu_seconds > 0) policy.limits.cpu_seconds = choice.cpu_seconds;
    return finish(std::move(policy));
  };
}

}  // namespace bulkhead
