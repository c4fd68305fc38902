// Bytes with fds beside them (common/fd_passing_posix.h) over a real socket
// pair: what arrives is owned and close-on-exec, and a message carrying more
// fds than the receiver takes is reported cut, with what did arrive owned.
#include "common/fd_passing_posix.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "common/platform.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

struct Sockets {
  ScopedHandle near;
  ScopedHandle far;
};

Sockets MakeSockets() {
  int fds[2];
  // macOS's AF_UNIX has no SOCK_SEQPACKET.
#if defined(BULKHEAD_OS_LINUX)
  EXPECT_EQ(SocketPairCloseOnExec(SOCK_SEQPACKET, fds), 0);
#else
  EXPECT_EQ(SocketPairCloseOnExec(SOCK_DGRAM, fds), 0);
#endif
  return {ScopedHandle(fds[0]), ScopedHandle(fds[1])};
}

TEST(FdPassingTest, BytesAndFdsArriveTogetherCloseOnExec) {
  Sockets sockets = MakeSockets();
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ScopedHandle read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  const int sent_fds[] = {read_end.get(), write_end.get()};
  ASSERT_EQ(SendWithFds(sockets.near.get(), "hi", 2, sent_fds, 0), 2);

  char buffer[8] = {};
  std::vector<ScopedHandle> fds;
  bool truncated = true;
  ASSERT_EQ(ReceiveWithFds(sockets.far.get(), buffer, sizeof(buffer), 4, 0, fds,
                           truncated),
            2);
  EXPECT_FALSE(truncated);
  EXPECT_EQ(std::string(buffer, 2), "hi");
  ASSERT_EQ(fds.size(), 2u);
  for (const ScopedHandle& fd : fds) {
    EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  }
  // They are the pipe's ends: a byte written through one copy is read
  // through the other.
  ASSERT_EQ(::write(fds[1].get(), "x", 1), 1);
  char byte = 0;
  EXPECT_EQ(::read(read_end.get(), &byte, 1), 1);
  EXPECT_EQ(byte, 'x');
}

TEST(FdPassingTest, MoreFdsThanTakenIsReportedCut) {
  ScopedHandle null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  // Two fds (which the control buffer's padding fits) and three (which it
  // does not) for a receiver that takes one: both are too many.
  for (size_t count : {2, 3}) {
    SCOPED_TRACE(count);
    Sockets sockets = MakeSockets();
    const std::vector<int> sent_fds(count, null.get());
    ASSERT_EQ(SendWithFds(sockets.near.get(), "x", 1, sent_fds, 0), 1);
    char byte = 0;
    std::vector<ScopedHandle> fds;
    bool truncated = false;
    ASSERT_EQ(ReceiveWithFds(sockets.far.get(), &byte, 1, 1, 0, fds, truncated),
              1);
    EXPECT_TRUE(truncated);
    EXPECT_GE(fds.size(), 1u);  // What did arrive is owned here.
  }
}

TEST(FdPassingTest, TooManyFdsToSendIsRefused) {
  Sockets sockets = MakeSockets();
  std::vector<int> fds(kMaxPassedFds + 1, 0);
  errno = 0;
  EXPECT_EQ(SendWithFds(sockets.near.get(), "x", 1, fds, 0), -1);
  EXPECT_EQ(errno, EINVAL);
}

}  // namespace
}  // namespace bulkhead
