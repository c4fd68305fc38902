// macOS: what the helper's LockDown applied (sandbox/lockdown_mac.cc). The
// seatbelt cannot be read back from inside (sandbox_check is not public API),
// so this reports what was applied, not what the kernel holds.
//
// UNVERIFIED: no Mac has compiled or run this file (docs/platforms.md).
#include "sandbox/sandbox_probe.h"
#include "sandbox/seatbelt_profile.h"

namespace bulkhead::sandbox {

SandboxReport ProbeSandbox() {
  SandboxReport report;
  const SeatbeltInForce seatbelt = SeatbeltState();
  report.layers.emplace_back(
      "seatbelt", seatbelt.applied ? "on: the role's profile" : "off");
  report.sandboxed = seatbelt.applied;
  report.network = !seatbelt.applied ? "host: no seatbelt"
                   : seatbelt.host_network
                       ? "host: the profile allows network*"
                       : "none: the seatbelt denies network*";
  return report;
}

}  // namespace bulkhead::sandbox
