#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/platform_handle.h"
#include "gtest/gtest.h"
#include "tests/support/fd_state.h"

namespace bulkhead {
namespace {

// True when `fd` names an open descriptor in this process.
// True when `fd` is closed: fcntl fails with EBADF.
bool IsClosed(int fd) {
  errno = 0;
  const int rc = ::fcntl(fd, F_GETFD);
  return rc == -1 && errno == EBADF;
}

// A fresh open descriptor (one end of a socketpair; the other end is closed at
// once).
int OpenSomeFd() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return -1;
  ::close(fds[1]);
  return fds[0];
}

// Writes `text` on `from` and expects to read exactly it on `to`.
void ExpectTransfers(int from, int to, const std::string& text) {
  ASSERT_EQ(::write(from, text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  std::string got(text.size(), '\0');
  size_t filled = 0;
  while (filled < got.size()) {
    const ssize_t n = ::read(to, got.data() + filled, got.size() - filled);
    ASSERT_GT(n, 0) << "read failed: errno " << errno;
    filled += static_cast<size_t>(n);
  }
  EXPECT_EQ(got, text);
}

TEST(ScopedHandleTest, DefaultIsInvalid) {
  ScopedHandle handle;
  EXPECT_FALSE(handle.is_valid());
  EXPECT_EQ(handle.get(), kInvalidNativeHandle);
}

TEST(ScopedHandleTest, ClosesOnDestruction) {
  const int fd = OpenSomeFd();
  ASSERT_GE(fd, 0);
  {
    ScopedHandle handle(fd);
    EXPECT_TRUE(handle.is_valid());
    EXPECT_EQ(handle.get(), fd);
    EXPECT_TRUE(testing::FdIsOpen(fd));
  }
  EXPECT_TRUE(IsClosed(fd));
}

TEST(ScopedHandleTest, MoveConstructionTransfersOwnership) {
  const int fd = OpenSomeFd();
  ASSERT_GE(fd, 0);
  ScopedHandle source(fd);
  {
    ScopedHandle target(std::move(source));
    EXPECT_FALSE(source.is_valid());  // NOLINT(bugprone-use-after-move): tested
                                      // on purpose.
    EXPECT_EQ(target.get(), fd);
    EXPECT_TRUE(testing::FdIsOpen(fd));
  }
  EXPECT_TRUE(IsClosed(fd));
}

TEST(ScopedHandleTest, MoveAssignmentClosesThePreviousHandle) {
  const int first = OpenSomeFd();
  const int second = OpenSomeFd();
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  ScopedHandle a(first);
  ScopedHandle b(second);
  a = std::move(b);
  EXPECT_TRUE(IsClosed(first));
  EXPECT_TRUE(testing::FdIsOpen(second));
  EXPECT_EQ(a.get(), second);
  EXPECT_FALSE(
      b.is_valid());  // NOLINT(bugprone-use-after-move): tested on purpose.
  a.reset();
  EXPECT_TRUE(IsClosed(second));
}

TEST(ScopedHandleTest, SelfMoveAssignmentKeepsTheHandle) {
  const int fd = OpenSomeFd();
  ASSERT_GE(fd, 0);
  ScopedHandle handle(fd);
  ScopedHandle& alias = handle;
  handle = std::move(alias);
  EXPECT_EQ(handle.get(), fd);
  EXPECT_TRUE(testing::FdIsOpen(fd));
}

TEST(ScopedHandleTest, ReleaseDoesNotClose) {
  const int fd = OpenSomeFd();
  ASSERT_GE(fd, 0);
  int released = -1;
  {
    ScopedHandle handle(fd);
    released = handle.release();
    EXPECT_FALSE(handle.is_valid());
  }
  EXPECT_EQ(released, fd);
  EXPECT_TRUE(testing::FdIsOpen(fd));
  ::close(fd);
}

TEST(ScopedHandleTest, ResetClosesOldAndTakesNew) {
  const int first = OpenSomeFd();
  const int second = OpenSomeFd();
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  ScopedHandle handle(first);
  handle.reset(second);
  EXPECT_TRUE(IsClosed(first));
  EXPECT_TRUE(testing::FdIsOpen(second));
  EXPECT_EQ(handle.get(), second);
  handle.reset();
  EXPECT_TRUE(IsClosed(second));
  EXPECT_FALSE(handle.is_valid());
  handle.reset();  // Resetting an empty handle is a no-op.
  EXPECT_FALSE(handle.is_valid());
}

TEST(CreateStreamPairTest, EndsAreConnectedBothWays) {
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  ASSERT_TRUE(pair->first.is_valid());
  ASSERT_TRUE(pair->second.is_valid());
  EXPECT_NE(pair->first.get(), pair->second.get());
  ExpectTransfers(pair->first.get(), pair->second.get(), "hello from first");
  ExpectTransfers(pair->second.get(), pair->first.get(),
                  "and back from second");
}

TEST(CreateStreamPairTest, EndsAreCloseOnExec) {
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_NE(::fcntl(pair->first.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(pair->second.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(CreateStreamPairTest, ClosingOneEndGivesEofOnTheOther) {
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  pair->first.reset();
  char byte;
  EXPECT_EQ(::read(pair->second.get(), &byte, 1), 0);
}

TEST(AdoptInheritedStreamTest, RejectsStandardStreams) {
  for (int64_t number : {0, 1, 2}) {
    absl::StatusOr<ScopedHandle> adopted = AdoptInheritedStream(number);
    EXPECT_EQ(adopted.status().code(), absl::StatusCode::kInvalidArgument)
        << number;
    // Not taken: the standard stream is still open.
    EXPECT_TRUE(testing::FdIsOpen(static_cast<int>(number))) << number;
  }
}

TEST(AdoptInheritedStreamTest, RejectsOutOfRangeNumbers) {
  for (int64_t number : {int64_t{-1}, int64_t{65536}, int64_t{1} << 40}) {
    EXPECT_EQ(AdoptInheritedStream(number).status().code(),
              absl::StatusCode::kInvalidArgument)
        << number;
  }
}

TEST(AdoptInheritedStreamTest, RejectsClosedFdNumber) {
  const int fd = OpenSomeFd();
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_TRUE(IsClosed(fd));
  EXPECT_EQ(AdoptInheritedStream(fd).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AdoptInheritedStreamTest, RejectsCharacterDevice) {
  const int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 3);
  ScopedHandle owner(fd);
  EXPECT_EQ(AdoptInheritedStream(fd).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(testing::FdIsOpen(
      fd));  // Rejected without being taken (and so without being closed).
}

TEST(AdoptInheritedStreamTest, RejectsRegularFile) {
  char path[] = "/tmp/bulkhead_platform_handle_test_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 3);
  ::unlink(path);
  ScopedHandle owner(fd);
  EXPECT_EQ(AdoptInheritedStream(fd).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(testing::FdIsOpen(fd));
}

TEST(AdoptInheritedStreamTest, AcceptsSocketAndSetsCloseOnExec) {
  int fds[2];
  // Without SOCK_CLOEXEC, as an inherited descriptor would be.
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ScopedHandle peer(fds[1]);
  ASSERT_EQ(::fcntl(fds[0], F_GETFD) & FD_CLOEXEC, 0);

  absl::StatusOr<ScopedHandle> adopted = AdoptInheritedStream(fds[0]);
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_EQ(adopted->get(), fds[0]);
  EXPECT_NE(::fcntl(fds[0], F_GETFD) & FD_CLOEXEC, 0);
  ExpectTransfers(peer.get(), adopted->get(), "still connected");

  // The adopted handle owns the descriptor.
  adopted->reset();
  EXPECT_TRUE(IsClosed(fds[0]));
}

TEST(AdoptInheritedStreamTest, AcceptsPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ScopedHandle write_end(fds[1]);
  absl::StatusOr<ScopedHandle> adopted = AdoptInheritedStream(fds[0]);
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_NE(::fcntl(fds[0], F_GETFD) & FD_CLOEXEC, 0);
  ExpectTransfers(write_end.get(), adopted->get(), "through a pipe");
}

}  // namespace
}  // namespace bulkhead
