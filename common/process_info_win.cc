#include <windows.h>
// After windows.h.
#include <psapi.h>

#include "absl/strings/str_cat.h"
#include "common/process_info.h"

namespace bulkhead {

absl::StatusOr<ProcessUsage> GetProcessUsage(int64_t pid) {
  HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                                 static_cast<DWORD>(pid));
  if (process == nullptr) {
    return ::GetLastError() == ERROR_ACCESS_DENIED
               ? absl::PermissionDeniedError(absl::StrCat("process ", pid))
               : absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  FILETIME created, exited, kernel, user;
  PROCESS_MEMORY_COUNTERS memory = {};
  const bool ok =
      ::GetProcessTimes(process, &created, &exited, &kernel, &user) &&
      ::GetProcessMemoryInfo(process, &memory, sizeof(memory));
  ::CloseHandle(process);
  if (!ok) return absl::UnknownError(absl::StrCat("process ", pid));
  auto to_100ns = [](const FILETIME& t) {
    return (static_cast<uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
  };
  ProcessUsage usage;
  usage.cpu_time = absl::Nanoseconds(100 * (to_100ns(kernel) + to_100ns(user)));
  usage.resident_bytes = memory.WorkingSetSize;
  return usage;
}

}  // namespace bulkhead
