// uv.h first: it includes winsock2.h, which must precede windows.h.
#include <uv.h>
#include <windows.h>

#include "browser_host/launcher.h"

namespace bulkhead {

unsigned int PlatformSpawnFlags() { return UV_PROCESS_WINDOWS_HIDE; }

absl::StatusOr<HandleTransportEnds> CreateHandleTransportEnds() {
  return HandleTransportEnds();  // Not yet: large payloads stay inline.
}

absl::Status SignalProcessTree(int64_t pid, int signal) {
  // No process groups: the helper itself (a sandboxed helper's job holds its
  // whole tree and dies with the job).
  const int rc = uv_kill(static_cast<int>(pid), signal);
  return rc == 0 || rc == UV_ESRCH ? absl::OkStatus()
                                   : absl::UnknownError(uv_strerror(rc));
}

void SweepProcessTree(int64_t) {}

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
