// The process probes on a POSIX system that is not Linux (the generic POSIX
// build, and macOS until it has its own): no pidfd and no /proc, so waits poll
// kill(pid, 0) against a deadline.
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>

#include "absl/time/clock.h"
#include "tests/support/process_probe.h"

namespace bulkhead::testing {

namespace {

// Whether `pid` has ended: reaped or never there (kill fails), or a child of
// this process that is a zombie (waitid with WNOWAIT sees its exit and leaves
// it for its owner to reap).
bool Ended(int64_t pid) {
  if (!ProcessExists(pid)) return true;
  siginfo_t info = {};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info,
                  WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == static_cast<pid_t>(pid);
}

}  // namespace

bool WaitForProcessGone(int64_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!Ended(pid)) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

bool ProcessDoomed(int64_t pid) { return !ProcessExists(pid); }

int64_t ParentProcessOf(int64_t) { return 0; }

std::string CurrentThreadName() { return ""; }

bool WaitForThreadGone(const std::string&, absl::Duration) { return true; }

}  // namespace bulkhead::testing
