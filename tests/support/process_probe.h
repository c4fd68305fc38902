// Whether a process id still names a process (running or not yet reaped),
// for tests that check that no helper is left behind.
#ifndef BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_
#define BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace bulkhead::testing {

bool ProcessExists(int64_t pid);

// Whether another process can be sent SIGINT/SIGTERM that it may handle. False
// on Windows, where uv_process_kill terminates the process whatever the signal.
bool CanSendGracefulSignals();

// Whether any process is left in process group `pgid` (POSIX; false
// elsewhere).
bool ProcessGroupExists(int64_t pgid);

// Whether this is Windows emulated by Wine, which accepts but does not
// enforce some limits (integrity levels, job memory limits).
bool RunningUnderWine();

// Waits until process `pid` has ended (exited, zombie or not), up to
// `timeout`, without polling where the OS can notify (a pidfd on Linux, the
// process handle on Windows). True when it ended in time.
bool WaitForProcessGone(int64_t pid, absl::Duration timeout);

// Whether `pid` is gone, a zombie, or has a SIGKILL on its way (Linux;
// elsewhere, whether it is gone).
bool ProcessDoomed(int64_t pid);

// The parent of `pid` as this process sees it (Linux; 0 elsewhere), e.g. a
// sandboxed helper's namespace init.
int64_t ParentProcessOf(int64_t pid);

// The calling thread, as "<pid>/task/<tid>" (Linux; "" elsewhere), and a wait
// until such a thread is entirely gone: a joined thread may still be on its
// way out, and only then are its children's parent-death signals sent. True
// when gone in time (or unknown).
std::string CurrentThreadName();
bool WaitForThreadGone(const std::string& thread, absl::Duration timeout);

// This process's resident memory in bytes (0 where unknown).
uint64_t CurrentRssBytes();

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_
