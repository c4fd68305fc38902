#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/fd_passing_posix.h"
#include "common/os_error.h"
#include "common/platform_handle.h"

namespace bulkhead {

void ScopedHandle::reset(NativeHandle handle) {
  if (handle_ != kInvalidNativeHandle) {
    // POSIX leaves the fd state unspecified after EINTR; on Linux it is always
    // closed, so retrying would risk closing an fd another thread just opened.
    ::close(handle_);
  }
  handle_ = handle;
}

absl::StatusOr<HandlePair> CreateStreamPair() {
  int fds[2];
  if (SocketPairCloseOnExec(SOCK_STREAM, fds) != 0) {
    return LastPosixErrorToStatus("socketpair");
  }
  return HandlePair{ScopedHandle(fds[0]), ScopedHandle(fds[1])};
}

absl::StatusOr<ScopedHandle> AdoptInheritedStream(int64_t number) {
  if (number <= STDERR_FILENO || number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "fd ", number, " cannot be a channel (expected 3..65535)"));
  }
  const int fd = static_cast<int>(number);
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) {
    return absl::InvalidArgumentError(absl::StrCat("fd ", fd, " is not open"));
  }
  struct stat info;
  if (::fstat(fd, &info) != 0 ||
      !(S_ISSOCK(info.st_mode) || S_ISFIFO(info.st_mode))) {
    return absl::InvalidArgumentError(
        absl::StrCat("fd ", fd, " is not a socket or pipe"));
  }
  ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  return ScopedHandle(fd);
}

absl::StatusOr<ScopedHandle> AdoptInheritedHandle(uint64_t) {
  return absl::UnimplementedError(
      "--ipc-handle is for Windows; use --ipc-fd on POSIX");
}

absl::StatusOr<ScopedHandle> DuplicateNativeHandle(NativeHandle handle) {
  if (handle < 0) return absl::InvalidArgumentError("invalid handle");
  const int copy = ::fcntl(handle, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return LastPosixErrorToStatus("fcntl(F_DUPFD_CLOEXEC)");
  return ScopedHandle(copy);
}

}  // namespace bulkhead
