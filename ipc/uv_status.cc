#include "ipc/uv_status.h"

#include <uv.h>

#include "absl/strings/str_cat.h"

namespace bulkhead::ipc {
namespace {

absl::StatusCode UvErrorToCode(int error) {
  switch (error) {
    case UV_ECANCELED:
      return absl::StatusCode::kCancelled;
    case UV_EINVAL:
    case UV_EBADF:
    case UV_ENAMETOOLONG:
      return absl::StatusCode::kInvalidArgument;
    case UV_ENOENT:
    case UV_ESRCH:
      return absl::StatusCode::kNotFound;
    case UV_EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case UV_EACCES:
    case UV_EPERM:
      return absl::StatusCode::kPermissionDenied;
    case UV_ENOMEM:
    case UV_EMFILE:
    case UV_ENFILE:
    case UV_EAGAIN:
    case UV_ENOBUFS:
      return absl::StatusCode::kResourceExhausted;
    case UV_ENOSYS:
    case UV_ENOTSUP:
      return absl::StatusCode::kUnimplemented;
    case UV_EOF:
    case UV_EPIPE:
    case UV_ECONNRESET:
    case UV_ENOTCONN:
      return absl::StatusCode::kUnavailable;
    case UV_ETIMEDOUT:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

absl::Status UvErrorToStatus(int error, absl::string_view what) {
  if (error >= 0) return absl::OkStatus();
  return absl::Status(UvErrorToCode(error),
                      absl::StrCat(what, ": ", uv_err_name(error), " (",
                                   uv_strerror(error), ")"));
}

}  // namespace bulkhead::ipc
