#include <windows.h>

#include "browser_host/launcher.h"

namespace bulkhead {

void KillAndReapNow(int64_t pid) {
  if (pid <= 0) return;
  HANDLE process = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE,
                                 static_cast<DWORD>(pid));
  if (process == nullptr) return;  // Already gone.
  ::TerminateProcess(process, 1);
  ::WaitForSingleObject(process, INFINITE);
  ::CloseHandle(process);
}

}  // namespace bulkhead
