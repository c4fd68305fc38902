// The escape-attempt suite's environment attempt (escape_attempts.h): the
// canary the host planted in its own environment must reach no helper, not
// in its environ, not in what it was exec'd with (/proc/self/environ), not in
// its parent's (/proc/<ppid>/environ: an unsandboxed helper's parent is the
// host, whose memory it can read as the same user).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "helper/diagnostics/escape_probe_linux.h"

extern char** environ;

namespace bulkhead::escape_internal {
namespace {

// Reads up to 1 MiB of `path` into `bytes`; -1 with errno on failure.
long ReadInto(const char* path, std::string& bytes) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return -1;
  char buffer[4096];
  while (bytes.size() < (1u << 20)) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) {
      const int error = errno;
      ::close(fd);
      errno = error;
      return -1;
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return static_cast<long>(bytes.size());
}

}  // namespace

EscapeAttempt EnvironmentCanaryAttempt(const std::string& canary) {
  const char* name = "read-environment-canary";
  if (canary.empty()) return Skipped(name, "no environment_canary");
  std::vector<std::string> found, looked;
  bool in_environ = false;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    if (std::strstr(*variable, canary.c_str()) != nullptr) in_environ = true;
  }
  (in_environ ? found : looked).push_back("environ");
  std::vector<std::string> paths = {"/proc/self/environ"};
  // getppid may be refused too (it is not in the base runtime's allowlist).
  const SyscallResult parent = Try([] { return long{::getppid()}; });
  if (parent.value <= 0 || parent.trapped != -1) {
    looked.push_back(absl::StrCat("getppid: ", FailureText(parent)));
  } else {
    paths.push_back(absl::StrCat("/proc/", parent.value, "/environ"));
  }
  for (const std::string& path : paths) {
    std::string bytes;
    const SyscallResult read =
        Try([&] { return ReadInto(path.c_str(), bytes); });
    if (read.value == -1 || read.trapped != -1) {
      looked.push_back(absl::StrCat(path, ": ", FailureText(read)));
    } else if (bytes.find(canary) != std::string::npos) {
      found.push_back(path);
    } else {
      looked.push_back(absl::StrCat(path, ": read, not there"));
    }
  }
  if (!found.empty()) {
    return {name, false,
            absl::StrCat("SUCCEEDED: found in ", absl::StrJoin(found, ", "))};
  }
  return {name, true,
          absl::StrCat("absent (", absl::StrJoin(looked, "; "), ")")};
}

}  // namespace bulkhead::escape_internal
