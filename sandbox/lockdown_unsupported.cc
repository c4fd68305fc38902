#include "sandbox/lockdown.h"

namespace bulkhead::sandbox {

bool HelperLocksItselfDown() { return false; }

absl::StatusOr<std::vector<LayerOutcome>> LockDown(const LockdownRequest&) {
  return absl::UnimplementedError("no in-process lockdown on this platform");
}

}  // namespace bulkhead::sandbox
