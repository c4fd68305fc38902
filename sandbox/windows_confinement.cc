#include "sandbox/windows_confinement.h"

#include <algorithm>
#include <limits>

namespace bulkhead::sandbox {

const char* WindowsTokenLevelName(WindowsTokenLevel level) {
  switch (level) {
    case WindowsTokenLevel::kLimited:
      return "limited";
    case WindowsTokenLevel::kLockdown:
      return "lockdown";
  }
  return "unknown";
}

const char* WindowsIntegrityName(WindowsIntegrity integrity) {
  switch (integrity) {
    case WindowsIntegrity::kLow:
      return "low";
    case WindowsIntegrity::kUntrusted:
      return "untrusted";
  }
  return "unknown";
}

WindowsConfinement WindowsConfinementFor(const SandboxPolicy& policy,
                                         uint64_t launch_memory_limit_bytes) {
  WindowsConfinement confinement;
  // A policy with every layer off (a helper that does not lock itself
  // down) could never drop a start-up token: it keeps the limited one. The
  // view decides nothing here: Windows enforces none, and its paths are
  // POSIX ones; files reach a helper through the broker.
  if (!policy.disabled() && !ReachesHostNetwork(policy)) {
    confinement.token = WindowsTokenLevel::kLockdown;
    confinement.integrity = WindowsIntegrity::kUntrusted;
    confinement.strict_mitigations = true;
  }
  if (AllowsFork(policy)) {
    confinement.active_processes = static_cast<uint32_t>(std::min<uint64_t>(
        policy.limits.processes, std::numeric_limits<uint32_t>::max()));
  }
  confinement.memory_limit_bytes = launch_memory_limit_bytes != 0
                                       ? launch_memory_limit_bytes
                                       : policy.limits.address_space_bytes;
  return confinement;
}

}  // namespace bulkhead::sandbox
