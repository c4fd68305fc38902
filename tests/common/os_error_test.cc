#include "common/os_error.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

TEST(OsErrorTest, ZeroIsOk) {
  EXPECT_TRUE(PosixErrorToStatus(0, "anything").ok());
}

TEST(OsErrorTest, MapsErrnoToStatusCode) {
  struct Case {
    int error;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {EACCES, absl::StatusCode::kPermissionDenied},
      {EPERM, absl::StatusCode::kPermissionDenied},
      {EROFS, absl::StatusCode::kPermissionDenied},
      {ENOENT, absl::StatusCode::kNotFound},
      {ESRCH, absl::StatusCode::kNotFound},
      {EEXIST, absl::StatusCode::kAlreadyExists},
      {EINVAL, absl::StatusCode::kInvalidArgument},
      {EBADF, absl::StatusCode::kInvalidArgument},
      {ENAMETOOLONG, absl::StatusCode::kInvalidArgument},
      {EAGAIN, absl::StatusCode::kResourceExhausted},
      {ENOMEM, absl::StatusCode::kResourceExhausted},
      {EMFILE, absl::StatusCode::kResourceExhausted},
      {ENOSPC, absl::StatusCode::kResourceExhausted},
      {EPIPE, absl::StatusCode::kUnavailable},
      {ECONNRESET, absl::StatusCode::kUnavailable},
      {ECONNREFUSED, absl::StatusCode::kUnavailable},
      {ETIMEDOUT, absl::StatusCode::kDeadlineExceeded},
      {EINTR, absl::StatusCode::kCancelled},
      {ECANCELED, absl::StatusCode::kCancelled},
      {ENOSYS, absl::StatusCode::kUnimplemented},
      {EOPNOTSUPP, absl::StatusCode::kUnimplemented},
      // Anything without a better fit.
      {EXDEV, absl::StatusCode::kUnknown},
      {ELOOP, absl::StatusCode::kUnknown},
  };
  for (const Case& c : cases) {
    absl::Status status = PosixErrorToStatus(c.error, "op");
    EXPECT_EQ(status.code(), c.code)
        << "errno " << c.error << " (" << std::strerror(c.error) << ") gave "
        << status;
  }
}

TEST(OsErrorTest, MessageIsWhatThenStrerror) {
  absl::Status status = PosixErrorToStatus(ENOENT, "open /no/such/file");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            std::string("open /no/such/file: ") + std::strerror(ENOENT));
}

TEST(OsErrorTest, LastErrorReadsErrno) {
  errno = EPIPE;
  absl::Status status = LastPosixErrorToStatus("write");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(status.message(), "write: ")) << status;
  EXPECT_EQ(status.message(), std::string("write: ") + std::strerror(EPIPE));

  errno = 0;
  EXPECT_TRUE(LastPosixErrorToStatus("nothing failed").ok());
}

TEST(OsErrorTest, RealSyscallFailure) {
  ASSERT_EQ(::access("/definitely/not/here/bulkhead", R_OK), -1);
  absl::Status status = LastPosixErrorToStatus("access");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
}

}  // namespace
}  // namespace bulkhead
