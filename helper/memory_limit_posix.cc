#include <sys/resource.h>

#include "common/compiler.h"
#include "common/os_error.h"
#include "helper/memory_limit.h"

namespace bulkhead {

absl::Status ApplyMemoryLimit(uint64_t bytes) {
  // The sanitizer's shadow memory alone is past any such limit: the first
  // mmap after it would fail (as the lockdown's own RLIMIT_AS, it is left
  // out). The sandbox's cgroup, where there is one, still limits memory.
  if (BH_SANITIZER_RESERVES_ADDRESS_SPACE) return absl::OkStatus();
  struct rlimit limit;
  limit.rlim_cur = bytes;
  limit.rlim_max = bytes;
  if (::setrlimit(RLIMIT_AS, &limit) != 0) {
    return LastPosixErrorToStatus("setrlimit(RLIMIT_AS)");
  }
  return absl::OkStatus();
}

std::optional<uint64_t> CurrentMemoryLimit() {
  struct rlimit limit;
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return std::nullopt;
  }
  return limit.rlim_cur;
}

}  // namespace bulkhead
