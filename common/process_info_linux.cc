#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/process_info.h"

namespace bulkhead {

absl::StatusOr<ProcessUsage> GetProcessUsage(int64_t pid) {
  const std::string dir = absl::StrCat("/proc/", pid);
  std::ifstream stat_file(dir + "/stat");
  std::string stat;
  if (!std::getline(stat_file, stat)) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  // The command name (field 2) may contain spaces and parentheses: parse
  // from the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return absl::DataLossError(absl::StrCat(dir, "/stat is malformed"));
  }
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  uint64_t utime = 0, stime = 0;
  // Fields 3..13 precede utime (14) and stime (15).
  for (int i = 3; i <= 13; ++i) fields >> skip;
  fields >> utime >> stime;
  std::ifstream statm(dir + "/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  if (!fields || !statm) {
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
