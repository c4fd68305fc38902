#include "common/os_error.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace bulkhead {
namespace {

absl::StatusCode ErrnoToCode(int error) {
  switch (error) {
    case 0:
      return absl::StatusCode::kOk;
    case EINVAL:
    case ENAMETOOLONG:
    case E2BIG:
    case EBADF:
      return absl::StatusCode::kInvalidArgument;
    case ENOENT:
    case ENODEV:
    case ESRCH:
    case ENXIO:
      return absl::StatusCode::kNotFound;
    case EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case EPERM:
    case EACCES:
    case EROFS:
      return absl::StatusCode::kPermissionDenied;
    case ENOMEM:
    case ENOSPC:
    case EMFILE:
    case ENFILE:
    case EAGAIN:
#ifdef EDQUOT  // Not in the Windows C runtime.
    case EDQUOT:
#endif
      return absl::StatusCode::kResourceExhausted;
    case ENOSYS:
    case EOPNOTSUPP:
      return absl::StatusCode::kUnimplemented;
    case EPIPE:
    case ECONNRESET:
    case ECONNREFUSED:
    case ENOTCONN:
      return absl::StatusCode::kUnavailable;
    case ETIMEDOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case EINTR:
    case ECANCELED:
      return absl::StatusCode::kCancelled;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

absl::Status PosixErrorToStatus(int error, absl::string_view what) {
  if (error == 0) return absl::OkStatus();
  return absl::Status(ErrnoToCode(error),
                      absl::StrCat(what, ": ", std::strerror(error)));
}

absl::Status LastPosixErrorToStatus(absl::string_view what) {
  return PosixErrorToStatus(errno, what);
}

}  // namespace bulkhead
