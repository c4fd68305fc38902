// The process probes on a POSIX system that is not Linux (the generic POSIX build, and macOS
// until it has its own): no pidfd and no /proc, so waits poll kill(pid, 0) against a deadline.
#include <signal.h>

#include <cerrno>
#include <string>

#include "absl/time/clock.h"
#include "tests/support/process_probe.h"

namespace bulkhead::testing {

bool WaitForProcessGone(int64_t pid, absl::Duration timeout) {
  // A zombie still answers kill(pid, 0): only a process that is reaped (a helper is reaped by
  // its host's loop) or was never there reads as gone.
  const absl::Time deadline = absl::Now() + timeout;
  while (ProcessExists(pid)) {
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
