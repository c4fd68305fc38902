#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "tests/support/process_probe.h"

namespace bulkhead::testing {

bool WaitForProcessGone(int64_t pid, absl::Duration timeout) {
  // A pidfd becomes readable when the process exits, even one that is not
  // our child (the helpers of a killed host are orphans).
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return errno == ESRCH;
  struct pollfd waiter = {pidfd, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&waiter, 1,
                   static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  } while (ready < 0 && errno == EINTR);
  ::close(pidfd);
  return ready == 1;
}

}  // namespace bulkhead::testing
