// The process's limit on open descriptors (POSIX RLIMIT_NOFILE).
//
// The kernel's default soft limit (1024 on most Linux systems) is far below the
// hard one, and a host of many helpers (each holds a channel, a handle socket,
// output pipes and shared-memory regions) or a helper that opens files for its
// work reaches it long before the system would run out. Like Chromium's
// browser and zygote, the host and helpers raise the soft limit at start.
#ifndef BULKHEAD_COMMON_FD_LIMIT_H_
#define BULKHEAD_COMMON_FD_LIMIT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "bulkhead/export.h"

namespace bulkhead {

// The soft limit is never raised past this, even when the hard limit allows
// it: some code (a close-every-fd loop where close_range is missing, select())
// costs in proportion to the limit, and some hard limits are a billion.
inline constexpr uint64_t kMaxRaisedFdLimit = uint64_t{1} << 16;

// Raises the soft limit on open descriptors to the hard limit, or to
// kMaxRaisedFdLimit when the hard one is higher; never lowers it. Returns the
// soft limit in force afterwards, or the OS error (the limit is unchanged
// then). Windows has no such limit: returns 0.
BULKHEAD_EXPORT absl::StatusOr<uint64_t> RaiseFdLimitToHard();

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_FD_LIMIT_H_
