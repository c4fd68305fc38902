#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "tests/support/process_probe.h"

namespace bulkhead::testing {

bool ProcessExists(int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

bool CanSendGracefulSignals() { return true; }

bool RunningUnderWine() { return false; }

bool ProcessGroupExists(int64_t pgid) {
  return ::kill(static_cast<pid_t>(-pgid), 0) == 0 || errno == EPERM;
}

uint64_t CurrentRssBytes() {
  // /proc/self/statm: size resident ... in pages.
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace bulkhead::testing
