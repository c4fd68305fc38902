// libFuzzer target: a config file the user hands browser_host (protobuf text
// format). Loading must never crash, and what it accepts must apply to the
// host's options and yield a sandbox policy per role without crashing, with
// the role's broker rules and pre-opened files in it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "browser_host/host_config.h"
#include "helper/role_registry.h"
#include "host/host.h"
#include "sample_roles/builtin_roles.h"

namespace {

const bulkhead::RoleRegistry& Roles() {
  static const bulkhead::RoleRegistry* roles = [] {
    auto* registry = new bulkhead::RoleRegistry;
    if (!bulkhead::RegisterBuiltinRoles(*registry).ok()) std::abort();
    return registry;
  }();
  return *roles;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::StatusOr<bulkhead::HostConfig> config = bulkhead::ParseHostConfig(
      absl::string_view(reinterpret_cast<const char*>(data), size),
      "fuzz.textproto", Roles());
  if (!config.ok()) {
    // Every error is located: "file:line:column: what".
    if (config.status().message().find("fuzz.textproto:") != 0) {
      __builtin_trap();
    }
    return 0;
  }
  bulkhead::Host::Options options;
  bulkhead::ApplyHostConfig(*config, options);
  if (options.sandbox_policy_for_role) {
    for (const bulkhead::RoleConfig& role : config->roles) {
      const bulkhead::sandbox::SandboxPolicy policy =
          options.sandbox_policy_for_role(role.name);
      // The role's file access reaches its policy whole, whatever else it
      // sets.
      if (policy.broker_rules.size() != role.broker_rules.size() ||
          policy.preopened.size() != role.preopened.size()) {
        __builtin_trap();
      }
    }
    (void)options.sandbox_policy_for_role("renderer");
  }
  return 0;
}
