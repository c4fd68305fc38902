#include <sys/resource.h>

#include <algorithm>

#include "common/fd_limit.h"
#include "common/os_error.h"

namespace bulkhead {

absl::StatusOr<uint64_t> RaiseFdLimitToHard() {
  rlimit limit = {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return LastPosixErrorToStatus("getrlimit(RLIMIT_NOFILE)");
  }
  const rlim_t target =
      std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(kMaxRaisedFdLimit));
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    limit.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return LastPosixErrorToStatus("setrlimit(RLIMIT_NOFILE)");
    }
  }
  return static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace bulkhead
