#include <dirent.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "helper/warm_up.h"

namespace bulkhead {

absl::StatusOr<std::vector<std::string>> ListThreads() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return LastPosixErrorToStatus("opendir /proc/self/task");
  std::vector<std::string> list;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream comm(
        absl::StrCat("/proc/self/task/", entry->d_name, "/comm"));
    std::string name;
    std::getline(comm, name);
    list.push_back(absl::StrCat("tid ", entry->d_name, " '",
                                absl::StripAsciiWhitespace(name), "'"));
  }
  ::closedir(dir);
  return list;
}

}  // namespace bulkhead
