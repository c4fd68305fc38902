// CloseFdRange (common/close_fds_linux.h) in a forked child, whose fds the
// test may close freely: exactly the range goes, nothing below it.
#include "common/close_fds_linux.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/support/fd_state.h"

namespace bulkhead {
namespace {

// Runs `body` in a child; its exit code.
template <typename Body>
int InChild(Body body) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(body());
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(CloseFdRangeTest, ClosesExactlyTheRange) {
  EXPECT_EQ(InChild([] {
              for (int fd : {300, 301, 302, 310}) {
                if (::dup2(0, fd) != fd) return 1;
              }
              CloseFdRange(300, 301);
              if (testing::FdIsOpen(300) || testing::FdIsOpen(301)) return 2;
              if (!testing::FdIsOpen(302) || !testing::FdIsOpen(310) ||
                  !testing::FdIsOpen(0))
                return 3;
              CloseFdRange(302);  // And everything above.
              if (testing::FdIsOpen(302) || testing::FdIsOpen(310)) return 4;
              return testing::FdIsOpen(0) ? 0 : 5;
            }),
            0);
}

TEST(CloseFdRangeTest, AnEmptyOrBackwardRangeClosesNothing) {
  EXPECT_EQ(InChild([] {
              if (::dup2(0, 300) != 300) return 1;
              CloseFdRange(301, 300);
              CloseFdRange(-1);
              return testing::FdIsOpen(300) && testing::FdIsOpen(0) ? 0 : 2;
            }),
            0);
}

}  // namespace
}  // namespace bulkhead
