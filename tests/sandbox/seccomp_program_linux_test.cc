// The compiled seccomp program, installed for real in a forked child.
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/config.h"
#include "gtest/gtest.h"
#include "sandbox/sandbox_policy.h"
#include "sandbox/seccomp_program.h"
#include "sandbox/syscall_recorder_linux.h"

namespace bulkhead::sandbox {
namespace {

// How a child that installed `policy` and then ran `body` ended: its wait
// status. `body` returns the exit code.
int RunConfined(const SandboxPolicy& policy, const std::function<int()>& body) {
  absl::StatusOr<std::string> program = CompileSeccompProgram(policy);
  EXPECT_TRUE(program.ok()) << program.status();
  if (!program.ok()) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::signal(SIGSYS, SIG_DFL);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(90);
    if (!InstallSeccompProgram(*program).ok()) ::_exit(91);
    ::_exit(body());
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

SandboxPolicy TestPolicy() {
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("test")
                                             .AllowBaseRuntime()
                                             .AllowSyscall("getppid")
                                             .FailSyscallWith("getpgid", EDOM)
                                             .Build();
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

TEST(SeccompProgramTest, AllowedCallsWork) {
  const int status = RunConfined(TestPolicy(), [] {
    return ::syscall(SYS_getppid) > 0 && ::syscall(SYS_getpid) > 0 ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompProgramTest, CallOutsideTheAllowlistIsKilledBySigsys) {
  const int status =
      RunConfined(TestPolicy(), [] { return ::syscall(SYS_getpgrp) >= 0; });
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(SeccompProgramTest, ErrnoRuleFailsTheCallWithThatError) {
  const int status = RunConfined(TestPolicy(), [] {
    const long result = ::syscall(SYS_getpgid, 0);
    return result == -1 && errno == EDOM ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompProgramTest, ArgumentRuleAllowsOnlyTheListedValues) {
  // prctl: PR_GET_SECCOMP is allowed, PR_SET_DUMPABLE is not.
  const int allowed = RunConfined(TestPolicy(), [] {
    return ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2 ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(allowed)) << allowed;
  EXPECT_EQ(WEXITSTATUS(allowed), 0);
  const int refused = RunConfined(
      TestPolicy(), [] { return ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); });
  ASSERT_TRUE(WIFSIGNALED(refused)) << refused;
  EXPECT_EQ(WTERMSIG(refused), SIGSYS);
}

TEST(SeccompProgramTest, ThreadsMayBeCreatedButNotProcesses) {
  const int status = RunConfined(TestPolicy(), [] {
    // clone without CLONE_THREAD: a new process.
    return ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) >= 0;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

// clone(flags) of a child that exits at once, on a stack of its own (with
// CLONE_VM it shares this process's memory).
long CloneOnOwnStack(int flags) {
  constexpr size_t kStack = 64 * 1024;
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  return ::clone(
      [](void*) -> int {
        ::syscall(SYS_exit, 0);
        return 0;
      },
      static_cast<char*>(stack) + kStack, flags, nullptr);
}

// The teardown keeper's two calls (helper/teardown_deferral.h): its exact
// clone, and lowering itself to SCHED_IDLE; nothing near them.
TEST(SeccompProgramTest, TheTeardownKeepersCallsAndNoOthersAreAllowed) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  // A CLONE_VM child without a TLS of its own runs in its parent's
  // ThreadSanitizer state, whose runtime then fails an internal CHECK (seen
  // now and then under load); the keeper is exercised by the other presets.
  GTEST_SKIP() << "a CLONE_VM child under ThreadSanitizer";
#endif
  const int idle = RunConfined(TestPolicy(), [] {
    const sched_param param = {};
    return ::syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &param) == 0 ? 0
                                                                         : 1;
  });
  ASSERT_TRUE(WIFEXITED(idle)) << idle;
  EXPECT_EQ(WEXITSTATUS(idle), 0);
  const int realtime = RunConfined(TestPolicy(), [] {
    const sched_param param = {1};
    return static_cast<int>(
        ::syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &param));
  });
  ASSERT_TRUE(WIFSIGNALED(realtime)) << realtime;
  EXPECT_EQ(WTERMSIG(realtime), SIGSYS);
  const int keeper = RunConfined(TestPolicy(), [] {
    return CloneOnOwnStack(CLONE_VM | CLONE_UNTRACED) > 0 ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(keeper)) << keeper;
  EXPECT_EQ(WEXITSTATUS(keeper), 0);
  const int with_signal = RunConfined(TestPolicy(), [] {
    return CloneOnOwnStack(CLONE_VM | CLONE_UNTRACED | SIGCHLD) > 0 ? 0 : 1;
  });
  ASSERT_TRUE(WIFSIGNALED(with_signal)) << with_signal;
  EXPECT_EQ(WTERMSIG(with_signal), SIGSYS);
}

#if defined(__x86_64__)
TEST(SeccompProgramTest, OtherAbiIsKilledOutright) {
  // An x32 call (number | 0x40000000) bypasses an allowlist written for the
  // x86-64 numbers unless the filter refuses it.
  const int status = RunConfined(
      TestPolicy(), [] { return ::syscall(0x40000000 | SYS_getppid) >= 0; });
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}
#endif

TEST(SeccompProgramTest, LearningModeLetsEveryCallThroughAndRecordsIt) {
  SandboxPolicy policy = TestPolicy();
  policy.violation_action = ViolationAction::kLearn;
  absl::StatusOr<std::string> program = CompileSeccompProgram(policy);
  ASSERT_TRUE(program.ok()) << program.status();
  const pid_t child = ::fork();
  if (child == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(90);
    // Asked before lockdown to compare with. Either may be 0: a process
    // started by an init that never called setsid is in session 0.
    const long group = ::syscall(SYS_getpgrp);
    const long session = ::syscall(SYS_getsid, 0);
    SyscallRecorder recorder;
    recorder.Prepare();
    absl::StatusOr<int> listener = InstallSeccompProgram(*program, true);
    recorder.Attach(listener.ok() ? *listener : -1);
    if (!listener.ok()) ::_exit(91);
    // Outside the allowlist, yet it works, and it is on the record; so is
    // a call of a thread started after lockdown.
    if (::syscall(SYS_getpgrp) != group) ::_exit(92);
    long session_seen = -1;
    std::thread([&session_seen] {
      session_seen = ::syscall(SYS_getsid, 0);
    }).join();
    if (session_seen != session) ::_exit(93);
    const std::vector<int> seen = recorder.Recorded();
    const auto recorded = [&seen](int number) {
      return std::find(seen.begin(), seen.end(), number) != seen.end();
    };
    ::_exit(recorded(SYS_getpgrp) && recorded(SYS_getsid) ? 0 : 94);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompProgramTest, MalformedProgramIsRefused) {
  EXPECT_TRUE(absl::IsInvalidArgument(InstallSeccompProgram("").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(InstallSeccompProgram("abc").status()));
}

}  // namespace
}  // namespace bulkhead::sandbox
