#include <windows.h>

#include "absl/strings/str_cat.h"
#include "helper/memory_limit.h"

namespace bulkhead {

absl::Status ApplyMemoryLimit(uint64_t bytes) {
  // A job of our own (jobs nest since Windows 8), holding only this process.
  HANDLE job = ::CreateJobObjectW(nullptr, nullptr);
  if (job == nullptr) {
    return absl::UnknownError(
        absl::StrCat("CreateJobObject: error ", ::GetLastError()));
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_PROCESS_MEMORY;
  limits.ProcessMemoryLimit = static_cast<SIZE_T>(bytes);
  if (!::SetInformationJobObject(job, JobObjectExtendedLimitInformation,
                                 &limits, sizeof(limits)) ||
      !::AssignProcessToJobObject(job, ::GetCurrentProcess())) {
    const DWORD error = ::GetLastError();
    ::CloseHandle(job);
    return absl::UnknownError(absl::StrCat("memory limit job: error ", error));
  }
  // The job lives as long as this process: the handle is deliberately kept.
  return absl::OkStatus();
}

std::optional<uint64_t> CurrentMemoryLimit() {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
  if (!::QueryInformationJobObject(nullptr, JobObjectExtendedLimitInformation,
                                   &limits, sizeof(limits), nullptr) ||
      (limits.BasicLimitInformation.LimitFlags &
       JOB_OBJECT_LIMIT_PROCESS_MEMORY) == 0) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(limits.ProcessMemoryLimit);
}

}  // namespace bulkhead
