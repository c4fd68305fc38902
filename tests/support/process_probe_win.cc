#include <windows.h>
// After windows.h.
#include <psapi.h>

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

bool RunningUnderWine() {
  HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  return ntdll != nullptr &&
         ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

bool ProcessGroupExists(int64_t) { return false; }

bool WaitForProcessGone(int64_t pid, absl::Duration timeout) {
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return true;
  const DWORD result = ::WaitForSingleObject(
      process, static_cast<DWORD>(absl::ToInt64Milliseconds(timeout)));
  ::CloseHandle(process);
  return result == WAIT_OBJECT_0;
}

uint64_t CurrentRssBytes() {
  PROCESS_MEMORY_COUNTERS counters = {};
  if (!::GetProcessMemoryInfo(::GetCurrentProcess(), &counters,
                              sizeof(counters))) {
    return 0;
  }
  return counters.WorkingSetSize;
}

bool ProcessDoomed(int64_t pid) { return !ProcessExists(pid); }

int64_t ParentProcessOf(int64_t) { return 0; }

std::string CurrentThreadName() { return ""; }

bool WaitForThreadGone(const std::string&, absl::Duration) { return true; }

}  // namespace bulkhead::testing
