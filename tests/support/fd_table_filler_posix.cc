#include <fcntl.h>
#include <unistd.h>

#include "common/os_error.h"
#include "tests/support/fd_table_filler.h"

namespace bulkhead::testing {

FdTableFiller::~FdTableFiller() { Release(); }

absl::Status FdTableFiller::Fill() {
  if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) {
    return LastPosixErrorToStatus("getrlimit(RLIMIT_NOFILE)");
  }
  // Without /proc (a sandboxed helper has none): ask each slot.
  const int bound = saved_.rlim_cur > (1 << 20)
                        ? (1 << 20)
                        : static_cast<int>(saved_.rlim_cur);
  int highest = 2;
  for (int fd = 0; fd < bound; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) highest = fd;
  }
  rlimit lowered = saved_;
  lowered.rlim_cur = static_cast<rlim_t>(highest) + 1;
  if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) {
    return LastPosixErrorToStatus("setrlimit(RLIMIT_NOFILE)");
  }
  lowered_ = true;
  for (;;) {
    const int copy = ::fcntl(highest, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) break;  // EMFILE: full.
    fillers_.push_back(copy);
  }
  return absl::OkStatus();
}

void FdTableFiller::Release() {
  for (int fd : fillers_) ::close(fd);
  fillers_.clear();
  if (lowered_) ::setrlimit(RLIMIT_NOFILE, &saved_);
  lowered_ = false;
}

}  // namespace bulkhead::testing
