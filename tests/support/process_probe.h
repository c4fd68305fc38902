// Whether a process id still names a process (running or not yet reaped),
// for tests that check that no helper is left behind.
#ifndef BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_
#define BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_

#include <cstdint>

namespace bulkhead::testing {

bool ProcessExists(int64_t pid);

// Whether another process can be sent SIGINT/SIGTERM that it may handle. False
// on Windows, where uv_process_kill terminates the process whatever the signal.
bool CanSendGracefulSignals();

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_PROCESS_PROBE_H_
