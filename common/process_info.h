// What a process costs: CPU time and resident memory, read from the OS (for
// the host's status table; the helper's own claims are never used).
#ifndef BULKHEAD_COMMON_PROCESS_INFO_H_
#define BULKHEAD_COMMON_PROCESS_INFO_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"

namespace bulkhead {

struct ProcessUsage {
  absl::Duration cpu_time;  // User + system.
  uint64_t resident_bytes = 0;
};

// NotFound when `pid` names no process; PermissionDenied when it may not be
// inspected; Unimplemented on a platform that does not say (a POSIX system
// other than Linux and macOS, and the generic POSIX build: docs/platforms.md).
BULKHEAD_EXPORT absl::StatusOr<ProcessUsage> GetProcessUsage(int64_t pid);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_PROCESS_INFO_H_
