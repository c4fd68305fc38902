// A POSIX system that is neither Linux nor macOS (and the generic POSIX build):
// POSIX gives no way to read another process's CPU time or resident memory.
#include <signal.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/process_info.h"

namespace bulkhead {

absl::StatusOr<ProcessUsage> GetProcessUsage(int64_t pid) {
  if (pid <= 0 || pid > INT32_MAX ||
      (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  return absl::UnimplementedError(
      "the CPU time and memory of a process are not available on this "
      "platform");
}

}  // namespace bulkhead
