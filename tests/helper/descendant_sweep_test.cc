// The helper's own sweep (helper/descendant_sweep_linux.cc), run for real in
// a forked child of the test that plays the helper, with the test as its
// host: a crash ends the helper by its own signal, whenever it comes.
#include "helper/descendant_sweep.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/platform_handle.h"
#include "gtest/gtest.h"
#include "helper/crash_handler.h"
#include "ipc/crash_record.h"
#include "tests/support/file_contents.h"
#include "tests/support/proc_probe_linux.h"

namespace bulkhead {
namespace {

// A filter under which prctl(PR_SET_NAME) waits for an answer from the
// returned listener, and every other call runs. Nobody answers: a process
// that makes that call waits there until it is killed. -1 on failure.
int HoldSetNameForever() {
#if defined(__x86_64__) || defined(__aarch64__)
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, testing::kAuditArch, 0, 5),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_NAME, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program = {static_cast<unsigned short>(std::size(filter)), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                    SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                    &program));
#else
  return -1;
#endif
}

// A child of `parent` waiting in prctl(PR_SET_NAME); 0 while there is none.
pid_t ChildWaitingToSetItsName(pid_t parent) {
  std::istringstream children(testing::FileContents(
      absl::StrCat("/proc/", parent, "/task/", parent, "/children")));
  pid_t child = 0;
  while (children >> child) {
    // "<number> <arg0> ...", the arguments in hex.
    std::istringstream call(
        testing::FileContents(absl::StrCat("/proc/", child, "/syscall")));
    long number = -1;
    std::string first;
    if (call >> number >> first && number == SYS_prctl &&
        first == absl::StrCat("0x", absl::Hex(PR_SET_NAME))) {
      return child;
    }
  }
  return 0;
}

// Waits until `pidfd`'s process has ended; false past `deadline`.
bool WaitForEnd(int pidfd, absl::Time deadline) {
  for (;;) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) return false;
    pollfd wait = {pidfd, POLLIN, 0};
    const int ready = ::poll(&wait, 1, static_cast<int>(left));
    if (ready == 1) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

// The sweeper is started during the handshake, and the helper learns its
// pid only once the sweeper is ready. A crash in between used to sweep the
// sweeper too, whose end (its exit signal is SIGKILL) killed the helper
// before its own signal could: the host then reported a SIGKILL nobody sent
// (the chaos soak's "misclassified end ... crashed (signal 9 SIGKILL)").
TEST(DescendantSweepTest, CrashWhileTheSweeperStartsEndsByTheCrashSignal) {
  int crash[2];
  ASSERT_EQ(::pipe2(crash, O_CLOEXEC), 0);
  const pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    ::close(crash[0]);
    if (!InstallCrashHandler(ScopedHandle(crash[1])).ok()) ::_exit(90);
    if (!AdoptOrphanedDescendants().ok()) ::_exit(91);
    // The sweeper names itself first thing, before it lets the helper go on:
    // held there, the helper waits for it with its pid unknown.
    if (HoldSetNameForever() < 0) ::_exit(92);
    ::_exit(SweepDescendantsAtEnd().ok() ? 0 : 93);
  }
  ::close(crash[1]);
  ScopedHandle crash_pipe(crash[0]);
  ScopedHandle helper_pidfd(
      static_cast<int>(::syscall(SYS_pidfd_open, helper, 0)));
  ASSERT_TRUE(helper_pidfd.is_valid());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);

  pid_t sweeper = 0;
  pollfd helper_end = {helper_pidfd.get(), POLLIN, 0};
  while ((sweeper = ChildWaitingToSetItsName(helper)) == 0 &&
         absl::Now() < deadline && ::poll(&helper_end, 1, 1) == 0) {
  }
  ScopedHandle sweeper_pidfd(
      sweeper > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, sweeper, 0))
                  : -1);
  if (sweeper_pidfd.is_valid()) ::kill(helper, SIGILL);
  if (!WaitForEnd(helper_pidfd.get(), deadline)) ::kill(helper, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  ASSERT_TRUE(sweeper_pidfd.is_valid())
      << "no sweeper held before it was ready; the helper ended with status "
      << status;

  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGILL) << strsignal(WTERMSIG(status));
  // The crash handler ran and reported the signal...
  std::string record(ipc::kMaxCrashRecordBytes, '\0');
  const ssize_t got = ::read(crash_pipe.get(), record.data(), record.size());
  record.resize(got > 0 ? static_cast<size_t>(got) : 0);
  absl::StatusOr<ipc::CrashRecord> parsed = ipc::ParseCrashRecord(record);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->signal, SIGILL);
  // ... and the sweeper it spared went with the helper.
  EXPECT_TRUE(WaitForEnd(sweeper_pidfd.get(), deadline));
}

}  // namespace
}  // namespace bulkhead
