#include "helper/diagnostics/fault_injection.h"

namespace bulkhead {

absl::Status StartForkBomb(int) {
  // A sandboxed helper's job allows one process; an unsandboxed one would
  // escape every bound. Not offered.
  return absl::UnimplementedError("fork_bomb is not available on Windows");
}

}  // namespace bulkhead
