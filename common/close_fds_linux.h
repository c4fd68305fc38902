// Closing every fd in a range (Linux), for code between a clone and what the
// child runs next (the zygote's helpers, the sandboxed launch's init and
// helper): close_range (5.9), or one close per fd up to the fd limit where it
// is missing or refused (the seccomp profiles of older container runtimes).
// Raw system calls only: no allocation, no locks, nothing a sanitizer
// intercepts, so safe in the child of a multi-threaded process.
#ifndef BULKHEAD_COMMON_CLOSE_FDS_LINUX_H_
#define BULKHEAD_COMMON_CLOSE_FDS_LINUX_H_

#include "bulkhead/export.h"

namespace bulkhead {

// Closes fds `first` to `last` inclusive; `last` -1: every fd from `first`.
BULKHEAD_EXPORT void CloseFdRange(int first, int last = -1);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_CLOSE_FDS_LINUX_H_
