#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/proc_stat_linux.h"
#include "common/process_info.h"

namespace bulkhead {

absl::StatusOr<ProcessUsage> GetProcessUsage(int64_t pid) {
  const std::string dir = absl::StrCat("/proc/", pid);
  const std::vector<std::string> fields = ProcStatFields(dir + "/stat");
  if (fields.empty()) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  const uint64_t utime = ProcStatField(fields, 14);
  const uint64_t stime = ProcStatField(fields, 15);
  std::ifstream statm(dir + "/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  if (fields.size() < 13 || !statm) {
    return absl::DataLossError(absl::StrCat("cannot read ", dir));
  }
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcessUsage usage;
  usage.cpu_time = absl::Seconds(static_cast<double>(utime + stime) / ticks);
  usage.resident_bytes =
      resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return usage;
}

}  // namespace bulkhead
