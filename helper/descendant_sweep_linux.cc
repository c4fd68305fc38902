#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "common/close_fds_linux.h"
#include "common/os_error.h"
#include "common/process_tree_linux.h"
#include "helper/descendant_sweep.h"
#include "helper/exit_codes.h"
#include "helper/teardown_deferral.h"

namespace bulkhead {
namespace {

// Raw system calls in the sweeper: it is the child of a process that may
// already run threads (a sanitizer's, a library's).
#define BH_SWEEPER_CODE \
  __attribute__((no_sanitize("address", "thread", "undefined")))

// How long one sweep may take: processes killed with SIGKILL end within
// milliseconds unless they are in an uninterruptible sleep.
constexpr int kSweepTimeoutMs = 5000;

std::atomic<bool> g_armed{false};

BH_SWEEPER_CODE long Call(long number, long a = 0, long b = 0, long c = 0,
                          long d = 0) {
  return ::syscall(number, a, b, c, d);
}

// The sweeper: waits for the host's end (its pidfd at fd 0), then stops the
// helper, kills everything the helper started, and the helper.
[[noreturn]] BH_SWEEPER_CODE void RunSweeper(int host_pidfd, int ready_fd,
                                             int helper) {
  // Ends with the helper: nothing to sweep for once the helper is gone
  // (its exit swept, or the host did).
  Call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
  if (Call(SYS_getppid) != helper) Call(SYS_exit_group, 0);
  Call(SYS_prctl, PR_SET_NAME, reinterpret_cast<long>("bulkhead-sweep"));
  uint64_t all_signals = ~uint64_t{0};
  Call(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all_signals), 0,
       sizeof(all_signals));
  // Nothing of the helper's but the host's pidfd (as fd 0): the host sees
  // the helper's pipes end when the helper's do.
  Call(SYS_dup3, host_pidfd, 0, O_CLOEXEC);
  Call(SYS_dup3, ready_fd, 1, O_CLOEXEC);
  CloseFdRange(2);
  Call(SYS_close, 1);  // The helper reads end-of-file: ready.
  pollfd host = {0, POLLIN, 0};
  while (Call(SYS_poll, reinterpret_cast<long>(&host), 1, -1) != 1) {
  }
  // The host has gone. Stopped, the helper neither reaps (the pids of its
  // children stay theirs) nor starts anything more.
  Call(SYS_kill, helper, SIGSTOP);
  KillSpare self;
  self.pids[0] = static_cast<int>(Call(SYS_getpid));
  KillDescendants(helper, self, kSweepTimeoutMs);
  Call(SYS_kill, helper, SIGKILL);  // And this sweeper with it.
  Call(SYS_exit_group, 0);
  __builtin_unreachable();
}

void KillOwnDescendantsAtExit() { KillOwnDescendants(); }

}  // namespace

absl::Status AdoptOrphanedDescendants() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    return LastPosixErrorToStatus("PR_SET_CHILD_SUBREAPER");
  }
  return absl::OkStatus();
}

absl::Status SweepDescendantsAtEnd() {
  g_armed.store(true);
  if (std::atexit(KillOwnDescendantsAtExit) != 0) {
    return absl::ResourceExhaustedError("atexit: no room");
  }
  const pid_t host = ::getppid();
  const int host_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, host, 0));
  if (host_pidfd < 0) return LastPosixErrorToStatus("pidfd_open (host)");
  // The host may have died before the pidfd was opened; then it names
  // another process, and this helper has been handed to a reaper.
  if (::getppid() != host) std::_Exit(kExitChannelLost);
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    const absl::Status error = LastPosixErrorToStatus("pipe2");
    ::close(host_pidfd);
    return error;
  }
  const int helper = static_cast<int>(::getpid());
  // Like fork, but its exit signal is SIGKILL: if the sweeper ends while
  // this helper lives (killed by the helper's own code, say), so does the
  // helper, which without its parent-death signal would otherwise outlive
  // the host. And the helper's own waitpid(-1) (role code) neither sees nor
  // reaps it (not SIGCHLD); it is reaped by whoever adopts it.
  const long sweeper = ::syscall(SYS_clone, SIGKILL, 0, 0, 0, 0);
  if (sweeper == 0) RunSweeper(host_pidfd, ready[1], helper);
  const int error = errno;
  ::close(ready[1]);
  ::close(host_pidfd);
  if (sweeper < 0) {
    ::close(ready[0]);
    return PosixErrorToStatus(error, "clone (sweeper)");
  }
  // End-of-file once the sweeper holds none of this helper's fds.
  char byte;
  while (::read(ready[0], &byte, 1) < 0 && errno == EINTR) {
  }
  ::close(ready[0]);
  // The sweeper watches the host now; the parent-death signal would kill
  // this helper before the sweeper could find its children.
  if (::prctl(PR_SET_PDEATHSIG, 0) != 0) {
    return LastPosixErrorToStatus("PR_SET_PDEATHSIG");
  }
  return absl::OkStatus();
}

void KillOwnDescendants() {
  if (!g_armed.load(std::memory_order_relaxed)) return;
  // The keeper stays: it is what lets the host hear of this exit before the
  // memory is torn down. So does the sweeper: its end would kill this helper
  // (its exit signal), which must end as it was going to; it goes with it.
  // Known by its exit signal, which it has from its clone on, not by its
  // pid: a crash while SweepDescendantsAtEnd waits for it to be ready comes
  // before this helper has that.
  KillSpare spare;
  spare.pids[0] = TeardownKeeperPid();
  spare.exit_signal = SIGKILL;
  KillDescendants(static_cast<int>(::getpid()), spare, kSweepTimeoutMs);
}

}  // namespace bulkhead
