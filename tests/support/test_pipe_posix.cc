#include <unistd.h>

#include <cerrno>

#include "common/os_error.h"
#include "tests/support/test_pipe.h"

namespace bulkhead::testing {

absl::StatusOr<TestPipe> MakeTestPipe() {
  int fds[2];
  if (::pipe(fds) != 0) return LastPosixErrorToStatus("pipe");
  return TestPipe{ScopedHandle(fds[0]), ScopedHandle(fds[1])};
}

absl::Status WriteAll(NativeHandle handle, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(handle, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return LastPosixErrorToStatus("write");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSome(NativeHandle handle, size_t max) {
  std::string bytes(max, '\0');
  ssize_t n;
  do {
    n = ::read(handle, bytes.data(), bytes.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return LastPosixErrorToStatus("read");
  bytes.resize(static_cast<size_t>(n));
  return bytes;
}

ScopedHandle DuplicateOfStderr() { return ScopedHandle(::dup(STDERR_FILENO)); }

}  // namespace bulkhead::testing
