// Linux: the child's pidfd (pidfd_open, 5.3) on the loop, reaped with
// waitid(P_PIDFD) (5.4).
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/platform_handle.h"
#include "host/launch/exit_watch.h"
#include "ipc/uv_handle.h"

namespace bulkhead {
namespace {

class PidfdExitWatch final : public ExitWatch {
 public:
  PidfdExitWatch(ScopedHandle pidfd, ChildProcess::ExitCallback on_exit)
      : pidfd_(std::move(pidfd)), on_exit_(std::move(on_exit)) {}

  bool Start(uv_loop_t* loop) {
    absl::StatusOr<ipc::UvHandle<uv_poll_t>> poll =
        ipc::UvHandle<uv_poll_t>::Init(loop, pidfd_.get());
    if (!poll.ok()) return false;
    poll_ = *std::move(poll);
    poll_->data = this;
    return uv_poll_start(poll_.get(), UV_READABLE, OnReadable) == 0;
  }

 private:
  static void OnReadable(uv_poll_t* poll, int, int) {
    auto* self = static_cast<PidfdExitWatch*>(poll->data);
    if (self != nullptr) self->Reap();
  }

  void Reap() {
    siginfo_t info = {};
    int rc;
    while ((rc = ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info,
                          WEXITED | WNOHANG)) != 0 &&
           errno == EINTR) {
    }
    if (rc == 0 && info.si_pid == 0) return;  // Still running.
    // A readable pidfd stays readable: stop before anything else.
    uv_poll_stop(poll_.get());
    // ECHILD: reaped by someone else (libuv, where the caller kept its
    // handle), who reports it.
    if (rc != 0) return;
    const bool signalled =
        info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
    ChildProcess::ExitCallback on_exit = std::move(on_exit_);
    // Last: it may destroy this watch.
    on_exit(signalled ? 0 : info.si_status, signalled ? info.si_status : 0);
  }

  ScopedHandle pidfd_;
  // After `pidfd_`: closing it (which stops the poll at once) comes before
  // the fd closes.
  ipc::UvHandle<uv_poll_t> poll_;
  ChildProcess::ExitCallback on_exit_;
};

}  // namespace

bool ExitWatchAvailable() {
  static const bool available = [] {
    // pidfd_open (5.3), then waitid(P_PIDFD) (5.4). This process is no child
    // of its own: ECHILD where P_PIDFD is known, EINVAL where it is not.
    const long pidfd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
    if (pidfd < 0) return false;
    siginfo_t info = {};
    const bool knows_pidfds = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info,
                                       WEXITED | WNOHANG | WNOWAIT) == 0 ||
                              errno != EINVAL;
    ::close(static_cast<int>(pidfd));
    return knows_pidfds;
  }();
  return available;
}

std::unique_ptr<ExitWatch> WatchChildExit(uv_loop_t* loop, int64_t pid,
                                          ChildProcess::ExitCallback on_exit) {
  if (!ExitWatchAvailable()) return nullptr;  // An old kernel: libuv alone.
  const long fd = ::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0);
  if (fd < 0) return nullptr;
  auto watch = std::make_unique<PidfdExitWatch>(
      ScopedHandle(static_cast<int>(fd)), std::move(on_exit));
  if (!watch->Start(loop)) return nullptr;
  return watch;
}

}  // namespace bulkhead
