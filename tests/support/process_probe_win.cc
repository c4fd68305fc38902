#include <windows.h>

#include "tests/support/process_probe.h"

namespace bulkhead::testing {

bool ProcessExists(int64_t pid) {
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return false;
  const bool running = ::WaitForSingleObject(process, 0) == WAIT_TIMEOUT;
  ::CloseHandle(process);
  return running;
}

bool CanSendGracefulSignals() { return false; }

}  // namespace bulkhead::testing
