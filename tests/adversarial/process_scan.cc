#include "process_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <string>

namespace adversarial {
namespace {

// Empty when it cannot be read (the process has gone meanwhile, ...).
std::string ReadFile(const std::string& path) {
  std::string text;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

// The numeric entries of a /proc directory.
std::vector<pid_t> NumericEntries(const char* dir) {
  std::vector<pid_t> ids;
  DIR* listing = opendir(dir);
  if (listing == nullptr) return ids;
  while (dirent* entry = readdir(listing)) {
    char* end = nullptr;
    const long id = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0')
      ids.push_back(static_cast<pid_t>(id));
  }
  closedir(listing);
  return ids;
}

bool ReadRecord(pid_t pid, ProcessRecord* record) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  // The command name may hold anything, ')' included: fields follow the last.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 1));
  record->pid = pid;
  return static_cast<bool>(fields >> record->state >> record->parent >>
                           record->group >> record->session);
}

}  // namespace

std::vector<ProcessRecord> AllProcesses() {
  std::vector<ProcessRecord> all;
  for (pid_t pid : NumericEntries("/proc")) {
    ProcessRecord record;
    if (ReadRecord(pid, &record)) all.push_back(record);
  }
  return all;
}

std::vector<pid_t> ProcessesWithArgumentPrefix(const std::string& prefix) {
  std::vector<pid_t> found;
  const pid_t self = getpid();
  for (pid_t pid : NumericEntries("/proc")) {
    if (pid == self) continue;
    const std::string cmdline =
        ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
    size_t start = 0;
    while (start < cmdline.size()) {
      size_t end = cmdline.find('\0', start);
      if (end == std::string::npos) end = cmdline.size();
      if (end - start >= prefix.size() &&
          cmdline.compare(start, prefix.size(), prefix) == 0) {
        found.push_back(pid);
        break;
      }
      start = end + 1;
    }
  }
  return found;
}

std::vector<ProcessRecord> ChildrenOf(pid_t parent) {
  std::vector<ProcessRecord> children;
  for (const ProcessRecord& record : AllProcesses()) {
    if (record.parent == parent) children.push_back(record);
  }
  return children;
}

std::vector<pid_t> ProcessesInGroupOrSession(pid_t id) {
  std::vector<pid_t> found;
  for (const ProcessRecord& record : AllProcesses()) {
    if (record.state != 'Z' && (record.group == id || record.session == id)) {
      found.push_back(record.pid);
    }
  }
  return found;
}

std::vector<pid_t> WaitUntilGone(const std::vector<pid_t>& pids,
                                 int timeout_ms) {
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  std::vector<pid_t> running;
  for (pid_t pid : pids) {
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) continue;  // Gone (ESRCH) already.
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long spent = (now.tv_sec - start.tv_sec) * 1000 +
                       (now.tv_nsec - start.tv_nsec) / 1000000;
    pollfd ended = {pidfd, POLLIN, 0};
    int rc;
    while ((rc = poll(&ended, 1,
                      static_cast<int>(std::max(0L, timeout_ms - spent)))) <
               0 &&
           errno == EINTR) {
    }
    if (rc == 0) running.push_back(pid);
    close(pidfd);
  }
  return running;
}

int OpenDescriptorCount() {
  return static_cast<int>(NumericEntries("/proc/self/fd").size()) -
         1;  // The listing's own.
}

}  // namespace adversarial
