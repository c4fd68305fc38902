#include "common/kernel_file_linux.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

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
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace bulkhead
