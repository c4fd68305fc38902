#include <dirent.h>
#include <sys/resource.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/fd_limit.h"
#include "common/logging.h"
#include "common/platform.h"
#include "host/fd_budget.h"

namespace bulkhead {
namespace {

// The descriptors open in this process: /proc/self/fd (Linux) or /dev/fd,
// less the directory's own. 0 when neither can be read (then the budget
// counts none as taken before the reserve).
uint64_t CountOpenDescriptors() {
#if defined(BULKHEAD_OS_LINUX)
  for (const char* path : {"/proc/self/fd", "/dev/fd"}) {
#else
  for (const char* path : {"/dev/fd"}) {
#endif
    DIR* dir = ::opendir(path);
    if (dir == nullptr) continue;
    uint64_t count = 0;
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count > 0 ? count - 1 : 0;
  }
  return 0;
}

}  // namespace

FdBudget FdBudget::AtHostStart(bool raise) {
  rlimit before = {};
  if (::getrlimit(RLIMIT_NOFILE, &before) != 0) {
    BH_LOG(kWarning,
           "cannot read the limit on open descriptors; launches "
           "are not checked against it");
    return FdBudget(0, 0, 0);
  }
  uint64_t soft = before.rlim_cur;
  if (raise) {
    if (absl::StatusOr<uint64_t> raised = RaiseFdLimitToHard(); raised.ok()) {
      soft = *raised;
    } else {
      BH_LOG(kWarning,
             "keeping the descriptor limit: ", raised.status().message());
    }
  }
  const uint64_t hard = before.rlim_max;
  const uint64_t unlimited = static_cast<uint64_t>(RLIM_INFINITY);
  FdBudget budget(soft == unlimited ? 0 : soft, hard == unlimited ? 0 : hard,
                  CountOpenDescriptors());
  if (soft != before.rlim_cur) {
    BH_LOG(kInfo, "raised the soft descriptor limit from ", before.rlim_cur,
           " to ", soft, "; ", budget.Describe());
  } else {
    BH_LOG(kInfo, "descriptor limit unchanged; ", budget.Describe());
  }
  return budget;
}

}  // namespace bulkhead
