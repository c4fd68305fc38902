#include "common/proc_stat_linux.h"

#include <cstdlib>
#include <sstream>

#include "common/kernel_file_linux.h"

namespace bulkhead {

std::vector<std::string> ProcStatFields(const std::string& path) {
  // The whole file, not its first line: the command name may hold a line
  // feed (the process sets it), and the fields follow it.
  const std::string stat = ReadKernelFile(path);
  if (stat.empty()) return {};
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return {};
  std::istringstream words(stat.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string field; words >> field;) fields.push_back(field);
  return fields;
}

uint64_t ProcStatField(const std::vector<std::string>& fields, size_t number) {
  if (number < 3 || number - 3 >= fields.size()) return 0;
  return std::strtoull(fields[number - 3].c_str(), nullptr, 10);
}

}  // namespace bulkhead
