#include "common/kernel_file_linux.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"

namespace bulkhead {

absl::Status WriteKernelFile(const std::string& path, absl::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return LastPosixErrorToStatus(absl::StrCat("open ", path));
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int error = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return PosixErrorToStatus(error, absl::StrCat("write ", path));
  }
  return absl::OkStatus();
}

std::string ReadKernelFile(const std::string& path) {
  // read(2), not a stream: a read that fails after the open (ESRCH from the
  // /proc file of a process that just ended) must be an empty answer, and an
  // istreambuf_iterator over an ifstream throws there.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      text.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      text.clear();
      break;
    }
  }
  ::close(fd);
  return text;
}

}  // namespace bulkhead
