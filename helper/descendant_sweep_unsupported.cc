#include "helper/descendant_sweep.h"

namespace bulkhead {

absl::Status AdoptOrphanedDescendants() {
  return absl::UnimplementedError("no child subreapers on this platform");
}

absl::Status SweepDescendantsAtEnd() {
  return absl::UnimplementedError("no descendant sweep on this platform");
}

void KillOwnDescendants() {}

}  // namespace bulkhead
