// The built-in roles' sandbox presets (PresetForRole in sandbox_policy.h).
#include <string>
#include <vector>

#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {
namespace {

// Layers every preset shares: all namespaces and lockdown steps required,
// except those the kernel may lack (landlock needs 5.13 and an LSM list that
// has it; a writable cgroup needs delegation), which are best effort.
SandboxPolicyBuilder CommonPreset(std::string name) {
  SandboxPolicyBuilder builder(std::move(name));
  builder.AllowBaseRuntime()
      .BestEffort(Layer::kLandlock)
      .BestEffort(Layer::kCgroup)
      .SetOpenFilesLimit(64)
      // Far above what the built-in roles map, low enough that the limit
      // exists (and cannot be raised: no CAP_SYS_RESOURCE).
      .SetAddressSpaceLimit(uint64_t{8} << 30)
      .SetProcessLimit(64)
      .SetCgroupLimits(0, 64);
  return builder;
}

SandboxPolicy MustBuild(const SandboxPolicyBuilder& builder) {
  absl::StatusOr<SandboxPolicy> policy = builder.Build();
  // The presets are fixed data checked by tests; a failure is a bug here.
  if (!policy.ok()) __builtin_trap();
  return *std::move(policy);
}

SandboxPolicy RendererPreset() {
  // Layout work: memory and the channel, nothing else.
  return MustBuild(CommonPreset("renderer"));
}

SandboxPolicy GpuPreset() {
  // A real GPU process talks to drivers through ioctl and asks about the
  // machine; still no filesystem or network.
  SandboxPolicyBuilder builder = CommonPreset("gpu");
  builder.AllowSyscallsIfPresent({"sysinfo", "getrusage", "times",
                                  "sched_getparam", "sched_getscheduler",
                                  "mlock", "munlock"});
  return MustBuild(builder);
}

SandboxPolicy UtilityPreset() {
  SandboxPolicyBuilder builder = CommonPreset("utility");
  builder.AllowSyscallsIfPresent(
      {"sysinfo", "getrusage", "times", "fallocate", "fsync", "fdatasync"});
  return MustBuild(builder);
}

SandboxPolicy NetworkPreset() {
  // The host's network (the internet families' sockets); no filesystem.
  SandboxPolicyBuilder builder = CommonPreset("network");
  builder.SetNetwork(Network::kHost);
  return MustBuild(builder);
}

}  // namespace

SandboxPolicy PresetForRole(absl::string_view role) {
  if (role == "gpu") return GpuPreset();
  if (role == "utility") return UtilityPreset();
  if (role == "network") return NetworkPreset();
  return RendererPreset();
}

std::vector<std::string> PresetNames() {
  return {"renderer", "gpu", "utility", "network"};
}

}  // namespace bulkhead::sandbox
