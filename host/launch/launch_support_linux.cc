#include "host/launch/launch_support_linux.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "ipc/uv_status.h"

namespace bulkhead {

absl::StatusOr<ScopedHandle> HighCopy(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, kFirstSourceFd);
  if (copy < 0) return LastPosixErrorToStatus("fcntl(F_DUPFD_CLOEXEC)");
  return ScopedHandle(copy);
}

absl::StatusOr<PipeEnds> MakePipe(int flags) {
  int fds[2];
  if (::pipe2(fds, flags) != 0) return LastPosixErrorToStatus("pipe2");
  return PipeEnds{ScopedHandle(fds[0]), ScopedHandle(fds[1])};
}

absl::Status OpenInLibuv(uv_pipe_t* pipe, ScopedHandle handle,
                         const char* what) {
  const int rc = uv_pipe_open(pipe, handle.get());
  if (rc != 0) {
    return ipc::UvErrorToStatus(rc, absl::StrCat("uv_pipe_open(", what, ")"));
  }
  (void)handle.release();  // libuv owns it now.
  return absl::OkStatus();
}

}  // namespace bulkhead
