#include <signal.h>

#include <cerrno>

#include "tests/support/process_probe.h"

namespace bulkhead::testing {

bool ProcessExists(int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

bool CanSendGracefulSignals() { return true; }

}  // namespace bulkhead::testing
