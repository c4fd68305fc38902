#include "sandbox/lockdown.h"

namespace bulkhead::sandbox {

absl::StatusOr<std::vector<LayerOutcome>> LockDown(const LockdownRequest&) {
  return absl::UnimplementedError(
      "no in-process lockdown on this platform (Windows confines helpers "
      "from the host, at launch)");
}

}  // namespace bulkhead::sandbox
