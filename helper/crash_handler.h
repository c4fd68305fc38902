// The helper's last words: on a fatal signal (POSIX) or an unhandled
// exception (Windows) it writes a CrashRecord (ipc/crash_record.h) with the
// raw stack to its crash pipe, then dies exactly as it would have, so the
// host's classification from the wait status is unchanged.
#ifndef BULKHEAD_HELPER_CRASH_HANDLER_H_
#define BULKHEAD_HELPER_CRASH_HANDLER_H_

#include "absl/status/status.h"
#include "common/platform_handle.h"

namespace bulkhead {

// Takes ownership of `crash_pipe` (kept open for the life of the process) and
// installs the handlers. Call once, early.
absl::Status InstallCrashHandler(ScopedHandle crash_pipe);

// Loads and initialises what the handler's unwinding needs on first use (on
// glibc, backtrace() dlopens libgcc_s), which must not happen inside the
// handler. InstallCrashHandler does it; a zygote does it once before it
// forks, and its children then find it done. Idempotent; a no-op where the
// handler needs nothing.
void WarmUpCrashUnwinder();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_CRASH_HANDLER_H_
