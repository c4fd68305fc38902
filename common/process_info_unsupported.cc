#include "common/process_info.h"

namespace bulkhead {

absl::StatusOr<ProcessUsage> GetProcessUsage(int64_t) {
  return absl::UnimplementedError("process usage is not available here");
}

}  // namespace bulkhead
