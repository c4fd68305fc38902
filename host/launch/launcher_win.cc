// uv.h first: it includes winsock2.h, which must precede windows.h.
#include <uv.h>
#include <windows.h>

#include "common/os_error.h"
#include "host/launch/launcher.h"

namespace bulkhead {

unsigned int PlatformSpawnFlags() { return UV_PROCESS_WINDOWS_HIDE; }

absl::StatusOr<HandleTransportEnds> CreateHandleTransportEnds() {
  HandleTransportEnds ends;
  ends.brokered = true;
  return ends;
}

absl::StatusOr<ScopedHandle> TakeHostTransportEnd(HandleTransportEnds&,
                                                  int64_t pid) {
  // The host still holds the helper's process handle, so `pid` is its own.
  HANDLE process =
      ::OpenProcess(PROCESS_DUP_HANDLE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) {
    return LastWinErrorToStatus("OpenProcess(PROCESS_DUP_HANDLE)");
  }
  return ScopedHandle(process);
}

absl::Status SignalProcessTree(int64_t pid, int signal) {
  // No process groups: the helper itself (a sandboxed helper's job holds its
  // whole tree and dies with the job).
  const int rc = uv_kill(static_cast<int>(pid), signal);
  if (rc == 0) return absl::OkStatus();
  // libuv's answer when TerminateProcess found the process ended.
  if (rc == UV_ESRCH) return absl::FailedPreconditionError("it has ended");
  return absl::UnknownError(uv_strerror(rc));
}

bool TerminationLeavesExitCode() { return true; }

bool ChildHasEnded(int64_t pid) {
  // The host holds the child's process handle until it is reaped, so `pid`
  // is still the child's.
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return false;
  const bool ended = ::WaitForSingleObject(process, 0) == WAIT_OBJECT_0;
  ::CloseHandle(process);
  return ended;
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
