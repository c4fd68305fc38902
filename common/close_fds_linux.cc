#include "common/close_fds_linux.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bulkhead {

void CloseFdRange(int first, int last) {
  if (first < 0 || (last >= 0 && last < first)) return;
  const unsigned int end = last < 0 ? ~0U : static_cast<unsigned int>(last);
  if (::syscall(SYS_close_range, first, end, 0) == 0) return;
  rlimit limit = {};
  long bound = 1024;
  if (::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &limit) == 0) {
    bound = limit.rlim_cur < (1 << 20) ? static_cast<long>(limit.rlim_cur)
                                       : (1 << 20);
  }
  if (last >= 0 && last + 1 < bound) bound = last + 1;
  for (long fd = first; fd < bound; ++fd) ::syscall(SYS_close, fd);
}

}  // namespace bulkhead
