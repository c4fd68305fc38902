// The built-in roles' sandbox presets (PresetForRole in sandbox_policy.h).
#include <string>
#include <vector>

#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {
namespace {

constexpr uint64_t kAfInet = 2, kAfInet6 = 10;

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
  // Sockets of the internet families only, in the host's network namespace;
  // no filesystem. Not AF_UNIX: the host's abstract unix sockets (an X
  // server, D-Bus, ...) live in that namespace, out of the chroot's and
  // Landlock's filesystem rules' reach (Landlock's scoping, where the kernel
  // has it, bars them too).
  SandboxPolicyBuilder builder = CommonPreset("network");
  builder.Disable(Layer::kNetNamespace)
      .AllowSyscallsIfPresent({"connect", "bind", "listen", "accept4", "sendto",
                               "recvfrom", "getsockopt", "setsockopt",
                               "getsockname", "getpeername", "sendmmsg",
                               "recvmmsg"});
  for (uint64_t family : {kAfInet, kAfInet6}) {
    builder.AllowSyscallIfArg("socket", 0, ~uint64_t{0}, family);
  }
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
