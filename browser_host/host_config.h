// browser_host's configuration: protobuf text format
// (browser_host/proto/host_config.proto), parsed and checked into the
// settings the host and supervisor take. Every error names the file, line and
// column ("host.textproto:7:12: ...") and what was expected.
#ifndef BULKHEAD_BROWSER_HOST_HOST_CONFIG_H_
#define BULKHEAD_BROWSER_HOST_HOST_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "helper/role_registry.h"
#include "host/heartbeat.h"
#include "host/host.h"
#include "host/restart_policy.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {

// One role to start, with the defaults already applied.
struct RoleConfig {
  std::string name;
  int count = 1;
  // The `sandbox` field: "default" (the platform's sandbox with the role's
  // own preset), a preset name ("renderer", "gpu", "utility", "network": that
  // preset's policy), or "none".
  std::string sandbox = "default";
  RestartPolicy restart;
  uint64_t memory_limit_bytes = 0;  // 0: none.
  // 0: none. Enforced as the sandbox's RLIMIT_CPU (Linux): past it the helper
  // ends as kCpuLimit.
  absl::Duration cpu_limit = absl::ZeroDuration();
  Heartbeat::Options heartbeat;
  // Added to the preset's policy (SandboxPolicyBuilder::FromPolicy): the
  // filesystem view and system calls the config's `filesystem` and
  // `allow_syscalls` name, checked against the preset when parsed.
  std::vector<sandbox::FilesystemEntry> filesystem;
  std::vector<std::string> allow_syscalls;
  // The `network` field; nullopt: the preset's.
  std::optional<sandbox::Network> network;
  // The `environment` field: added to the preset's policy's environment.
  std::vector<std::string> environment;
  // The `broker` and `preopen` fields: the policy's file access
  // (SandboxPolicy::broker_rules and preopened), sandboxed or not. Each path
  // checked when parsed; each pre-opened file opened then, as at launch.
  std::vector<sandbox::BrokerRule> broker_rules;
  std::vector<sandbox::PreopenedFile> preopened;
};

struct HostConfig {
  LogLevel log_level = LogLevel::kWarning;
  // 0: the demo sends no periodic work.
  absl::Duration work_interval = absl::Milliseconds(500);
  // The `defaults` block applied to the built-in defaults (`name` empty):
  // what a role the config does not list gets (`spawn <role>`).
  RoleConfig defaults;
  std::vector<RoleConfig> roles;
};

// The sandbox policy of a role's helpers: its preset (the role's own, or the
// one `sandbox` names), with the config's CPU limit, filesystem view, extra
// system calls, broker rules and pre-opened files added. InvalidArgument as
// SandboxPolicyBuilder::Build().
absl::StatusOr<sandbox::SandboxPolicy> SandboxPolicyForRole(
    const RoleConfig& role, absl::string_view role_name);

// "debug", "info", "warning" or "error"; nullopt for anything else.
std::optional<LogLevel> ParseLogLevelName(absl::string_view name);

// Parses and checks `text`; `file_name` prefixes every error. Roles must be
// in `registry`. InvalidArgument with "file:line:column: what" otherwise.
absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view text,
                                           absl::string_view file_name,
                                           const RoleRegistry& registry);

// Reads `path` and parses it. NotFound (or another read error) when the file
// cannot be read; InvalidArgument for a directory or a file over 1 MiB (the
// read stops there: /dev/zero is refused, not read forever).
absl::StatusOr<HostConfig> LoadHostConfigFile(const std::string& path,
                                              const RoleRegistry& registry);

// The most helpers of one role a config or --helpers may ask for; the host's
// descriptor limit may allow fewer (Host::Launch then refuses the rest,
// naming the limit).
inline constexpr int kMaxHelpersPerRole = 10000;

// `browser_host --helpers=ROLE:COUNT[,ROLE:COUNT...]`: sets each named role's
// count in `config` (0 to kMaxHelpersPerRole). A role the config does not
// list is added with the `defaults` block's settings; a count of 0 removes
// the role from those started. Roles not named keep their count.
// InvalidArgument naming the item for a malformed one, an unknown role, a
// role named twice, a count out of range, or no role left to start.
absl::Status ApplyHelperCounts(absl::string_view spec,
                               const RoleRegistry& registry,
                               HostConfig& config);

// Copies the settings the host applies per helper into `options`: the
// defaults host-wide, each role's into `options.role_options`. A role's
// sandbox "default" keeps `options.sandbox_helpers` as it was (the
// platform's choice); "none" turns it off.
void ApplyHostConfig(const HostConfig& config, Host::Options& options);

// The embedded default: browser_host/default_config.textproto, compiled in
// (generated default_config.cc).
absl::string_view DefaultHostConfigText();

// The name errors in the embedded default carry.
inline constexpr char kDefaultConfigName[] = "<default config>";

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_HOST_CONFIG_H_
