// macOS: proc_pidinfo(PROC_PIDTASKINFO), <libproc.h>. Unverified: no Mac has
// built this yet (docs/platforms.md).
#include <libproc.h>
#include <mach/mach_time.h>
#include <sys/proc_info.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/process_info.h"

namespace bulkhead {
namespace {

// pti_total_user and pti_total_system count Mach absolute time units
// (nanoseconds on Intel, ticks of 125/3 ns on Apple silicon).
absl::Duration MachTime(uint64_t units) {
  static const mach_timebase_info_data_t timebase = [] {
    mach_timebase_info_data_t info = {};
    mach_timebase_info(&info);
    return info;
  }();
  if (timebase.denom == 0) return absl::Nanoseconds(units);
  return absl::Nanoseconds(static_cast<double>(units) * timebase.numer /
                           timebase.denom);
}

}  // namespace

absl::StatusOr<ProcessUsage> GetProcessUsage(int64_t pid) {
  if (pid <= 0 || pid > INT32_MAX) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  proc_taskinfo info = {};
  errno = 0;
  const int size = ::proc_pidinfo(static_cast<int>(pid), PROC_PIDTASKINFO, 0,
                                  &info, static_cast<int>(sizeof(info)));
  if (size <= 0) {
    // libproc returns 0 on failure, with errno set.
    if (errno == ESRCH) {
      return absl::NotFoundError(absl::StrCat("no process ", pid));
    }
    if (errno == EPERM) {
      return absl::PermissionDeniedError(
          absl::StrCat("process ", pid, " may not be inspected"));
    }
    return absl::InternalError(
        absl::StrCat("proc_pidinfo(", pid, "): errno ", errno));
  }
  if (size != static_cast<int>(sizeof(info))) {
    return absl::InternalError(absl::StrCat("proc_pidinfo(", pid, "): ", size,
                                            " bytes, expected ", sizeof(info)));
  }
  ProcessUsage usage;
  usage.cpu_time = MachTime(info.pti_total_user + info.pti_total_system);
  usage.resident_bytes = info.pti_resident_size;
  return usage;
}

}  // namespace bulkhead
