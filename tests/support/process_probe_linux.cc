#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kernel_file_linux.h"
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

bool ProcessDoomed(int64_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) return true;
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("State:", 0) == 0 &&
        line.find_first_of("ZX", 6) != std::string::npos) {
      return true;
    }
    uint64_t pending = 0;
    if ((line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) &&
        absl::SimpleHexAtoi(line.substr(7), &pending) &&
        (pending & (uint64_t{1} << (SIGKILL - 1))) != 0) {
      return true;
    }
  }
  return false;
}

int64_t ParentProcessOf(int64_t pid) {
  const std::string text = ReadKernelFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t end = text.rfind(')');
  if (end == std::string::npos) return 0;
  std::istringstream fields(text.substr(end + 1));
  std::string state;
  int64_t parent = 0;
  fields >> state >> parent;
  return parent;
}

std::string CurrentThreadName() {
  char target[64] = {};
  const ssize_t n = ::readlink("/proc/thread-self", target, sizeof(target) - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

bool WaitForThreadGone(const std::string& thread, absl::Duration timeout) {
  if (thread.empty()) return true;
  // No event says so for a thread of one's own process before Linux 6.9's
  // thread pidfds: its /proc entry goes once the kernel has released it.
  const absl::Time deadline = absl::Now() + timeout;
  while (std::ifstream(absl::StrCat("/proc/", thread, "/stat"))) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

}  // namespace bulkhead::testing
