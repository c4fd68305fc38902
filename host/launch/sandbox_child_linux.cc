#include "host/launch/sandbox_child_linux.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/close_fds_linux.h"
#include "common/os_error.h"

namespace bulkhead {
namespace {

// Only raw system calls from here on: no allocation, no locks, nothing a
// sanitizer intercepts.
long Call(long number, long a = 0, long b = 0, long c = 0, long d = 0,
          long e = 0) {
  return ::syscall(number, a, b, c, d, e);
}

[[noreturn]] void Exit(int code) {
  Call(SYS_exit_group, code);
  __builtin_unreachable();
}

// Closes every fd from `first` up except `keep`.
void CloseFrom(int first, int keep) {
  if (keep >= first) {
    if (keep > first) CloseFdRange(first, keep - 1);
    CloseFdRange(keep + 1);
  } else {
    CloseFdRange(first);
  }
}

// The kernel's struct sigaction for rt_sigaction (not libc's): SIG_DFL with
// no flags and an empty mask is all zeroes.
struct KernelSigaction {
  unsigned long handler = 0;  // SIG_DFL
  unsigned long flags = 0;
  unsigned long restorer = 0;
  uint64_t mask = 0;
};

// An exec keeps ignored signals and the mask: without this the helper would
// start with whatever the host ignores (SIGHUP under nohup) or the launching
// thread blocks, as uv_spawn's children and the zygote's do not.
void ResetSignals() {
  const KernelSigaction default_action;
  for (int signal = 1; signal <= 64; ++signal) {
    if (signal == SIGKILL || signal == SIGSTOP) continue;
    Call(SYS_rt_sigaction, signal, reinterpret_cast<long>(&default_action), 0,
         sizeof(default_action.mask));
  }
  const uint64_t none = 0;
  Call(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0,
       sizeof(none));
}

[[noreturn]] void ExecHelper(const SandboxChildPlan& plan) {
  int error = 0;
  // Dies with init, which dies with the host.
  Call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
  ResetSignals();
  for (int target = 0; target <= kHelperHandleFd; ++target) {
    if (plan.fds[target] < 0) {
      Call(SYS_close, target);  // A slot left empty holds nothing inherited.
    } else if (Call(SYS_dup3, plan.fds[target], target, 0) < 0) {
      error = errno;
    }
  }
  // Nothing else crosses into the helper: error_fd is close-on-exec.
  if (error == 0) CloseFrom(kHelperHandleFd + 1, plan.error_fd);
  if (error == 0) {
    Call(SYS_execve, reinterpret_cast<long>(plan.executable),
         reinterpret_cast<long>(plan.argv), reinterpret_cast<long>(plan.envp));
    error = errno;
  }
  Call(SYS_write, plan.error_fd, reinterpret_cast<long>(&error), sizeof(error));
  Exit(127);
}

// A zygote's init: every child's end goes to the host, the zygote's and each
// forked helper's (and an orphan's, which the host ignores), until none is
// left. Init is the namespace's pid 1: its exit would kill every helper
// still running, so it stays while any does, also after the zygote's end.
[[noreturn]] void RelayEveryChild(int status_fd) {
  for (;;) {
    siginfo_t info = {};
    if (Call(SYS_waitid, P_ALL, 0, reinterpret_cast<long>(&info),
             WEXITED | WNOWAIT, 0) != 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing left in the namespace.
    }
    ZygoteInitRecord record;
    record.pid = info.si_pid;
    record.code = info.si_code;
    record.status = info.si_status;
    // Blocking: a host slow to read holds init, never loses a record.
    long n;
    while ((n = Call(SYS_write, status_fd, reinterpret_cast<long>(&record),
                     sizeof(record))) < 0 &&
           errno == EINTR) {
    }
    siginfo_t reaped = {};
    while (Call(SYS_waitid, P_PID, info.si_pid,
                reinterpret_cast<long>(&reaped), WEXITED, 0) != 0 &&
           errno == EINTR) {
    }
  }
  const sched_param idle = {};
  Call(SYS_sched_setscheduler, 0, SCHED_IDLE, reinterpret_cast<long>(&idle));
  Exit(0);
}

}  // namespace

void RunSandboxChild(const SandboxChildPlan& plan) {
  char go = 0;
  // The host writes one byte once our uid/gid maps exist; EOF means it gave up.
  while (Call(SYS_read, plan.go_fd, reinterpret_cast<long>(&go), 1) < 0 &&
         errno == EINTR) {
  }
  if (go != 1) Exit(127);
  Call(SYS_setsid);
  Call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
  // This process is a copy of the host's memory: the helper must not read it.
  Call(SYS_prctl, PR_SET_DUMPABLE, 0);
  const long helper = Call(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (helper == 0) ExecHelper(plan);
  // Init keeps only the status pipe; its copy of error_fd must go so that the
  // host sees end-of-file once the helper has exec'd.
  CloseFrom(0, plan.status_fd);
  if (plan.relay_every_child) RelayEveryChild(plan.status_fd);
  HelperWaitStatus status;
  if (helper < 0) {
    status.code = CLD_EXITED;
    status.status = 127;
  } else {
    for (;;) {
      siginfo_t info = {};
      if (Call(SYS_waitid, P_ALL, 0, reinterpret_cast<long>(&info), WEXITED,
               0) != 0) {
        if (errno == EINTR) continue;
        status.code = CLD_EXITED;
        status.status = 127;
        break;
      }
      if (info.si_pid == helper) {
        status.code = info.si_code;
        status.status = info.si_status;
        break;
      }
      // An orphan the helper left: reaped, and otherwise ignored.
    }
  }
  Call(SYS_write, plan.status_fd, reinterpret_cast<long>(&status),
       sizeof(status));
  // What is left is teardown (this copy of the host's memory, then the
  // namespace with whatever is still in it): background work, which must
  // not keep the host, woken by the status just written, off a cpu.
  const sched_param idle = {};
  Call(SYS_sched_setscheduler, 0, SCHED_IDLE, reinterpret_cast<long>(&idle));
  Exit(0);
}

absl::Status LetGoAndAwaitExec(ScopedHandle go_write, int exec_error_read,
                               absl::string_view what) {
  const char one = 1;
  if (::write(go_write.get(), &one, 1) != 1) {
    return LastPosixErrorToStatus("write to the child's start pipe");
  }
  go_write.reset();
  // Blocks (this thread, not the loop) for the exec only: the close-on-exec
  // end closes then.
  int exec_errno = 0;
  ssize_t n;
  while ((n = ::read(exec_error_read, &exec_errno, sizeof(exec_errno))) < 0 &&
         errno == EINTR) {
  }
  if (n > 0) {
    return PosixErrorToStatus(exec_errno, absl::StrCat("start ", what));
  }
  return absl::OkStatus();
}

}  // namespace bulkhead
