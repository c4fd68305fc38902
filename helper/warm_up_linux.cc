#include <dirent.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "common/proc_stat_linux.h"
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

absl::StatusOr<std::vector<std::string>> ListChildren() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return LastPosixErrorToStatus("opendir /proc/self/task");
  std::vector<std::string> list;
  bool readable = true;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    // Each thread's children (CONFIG_PROC_CHILDREN, in every distribution
    // kernel): a process this one forked, or one it adopted as the
    // subreaper it is (a daemon's grandchild).
    std::ifstream children(
        absl::StrCat("/proc/self/task/", entry->d_name, "/children"));
    if (!children) {
      readable = false;
      break;
    }
    for (std::string pid; children >> pid;) {
      const std::vector<std::string> fields =
          ProcStatFields(absl::StrCat("/proc/", pid, "/stat"));
      // A zombie holds nothing; one gone already neither.
      if (fields.empty() || fields[0] == "Z" || fields[0] == "X") continue;
      std::ifstream comm(absl::StrCat("/proc/", pid, "/comm"));
      std::string name;
      std::getline(comm, name);
      list.push_back(absl::StrCat("pid ", pid, " '",
                                  absl::StripAsciiWhitespace(name), "'"));
    }
  }
  ::closedir(dir);
  if (!readable) {
    return absl::UnimplementedError("this kernel does not list children");
  }
  return list;
}

}  // namespace bulkhead
