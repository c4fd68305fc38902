// Whether a descriptor is open, for the POSIX tests of fd handling.
#ifndef BULKHEAD_TESTS_SUPPORT_FD_STATE_H_
#define BULKHEAD_TESTS_SUPPORT_FD_STATE_H_

#include <fcntl.h>

#include <cerrno>

namespace bulkhead::testing {

// True if `fd` names an open descriptor of this process. Leaves errno 0 when
// it does.
inline bool FdIsOpen(int fd) {
  errno = 0;
  return ::fcntl(fd, F_GETFD) != -1;
}

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_FD_STATE_H_
