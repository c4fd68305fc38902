// Whether a process id still names a process (running or not yet reaped),
// for tests that check that no helper is left behind.
#ifndef BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_
#define BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_

#include <cstdint>

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

// This process's resident memory in bytes (0 where unknown).
uint64_t CurrentRssBytes();

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_
