#include "host/launch/init_reaper_linux.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <utility>
#include <vector>

#include "host/launch/launcher.h"

namespace bulkhead {
namespace {

// One init waiting to be reaped. Owns its poll handle; freed in the handle's
// close callback, after which its pidfd is closed and its cgroup removed.
struct PendingReap {
  uv_poll_t poll;
  ScopedHandle pidfd;
  std::unique_ptr<HelperCgroup> cgroup;
};

std::mutex& PendingMutex() {
  static auto* const mutex = new std::mutex;
  return *mutex;
}

std::vector<PendingReap*>& Pending() {
  static auto* const pending = new std::vector<PendingReap*>;
  return *pending;
}

void Unlist(PendingReap* reap) {
  std::lock_guard<std::mutex> lock(PendingMutex());
  std::vector<PendingReap*>& pending = Pending();
  pending.erase(std::remove(pending.begin(), pending.end(), reap),
                pending.end());
}

void Close(PendingReap* reap) {
  uv_close(reinterpret_cast<uv_handle_t*>(&reap->poll), [](uv_handle_t* h) {
    // The cgroup goes with it: init is reaped, the namespace empty.
    delete static_cast<PendingReap*>(h->data);
  });
}

void OnInitReadable(uv_poll_t* poll, int, int) {
  auto* reap = static_cast<PendingReap*>(poll->data);
  // A pidfd is readable once its process has exited (and stays so, reaped or
  // not). An error from the poll (the fd is not pollable any more) is not
  // waited out: reaped below or by FinishPendingReaps.
  if (!ReapPidfd(reap->pidfd.get(), /*wait=*/false)) return;
  uv_poll_stop(poll);
  Unlist(reap);
  Close(reap);
}

}  // namespace

bool ReapPidfd(int pidfd, bool wait) {
  // uv_poll made the pidfd non-blocking, and waitid honours that.
  if (wait) ::fcntl(pidfd, F_SETFL, ::fcntl(pidfd, F_GETFL) & ~O_NONBLOCK);
  siginfo_t info = {};
  int rc;
  while ((rc = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info,
                        WEXITED | (wait ? 0 : WNOHANG))) != 0 &&
         errno == EINTR) {
  }
  // ECHILD: an embedding app reaped it first (its own waitpid(-1), or
  // SIGCHLD ignored); its pidfd stays readable, and there is nothing to wait
  // for.
  return rc == 0 ? info.si_pid != 0 : errno == ECHILD;
}

void ReapInitLater(uv_loop_t* loop, ScopedHandle pidfd,
                   std::unique_ptr<HelperCgroup> cgroup) {
  if (!pidfd.is_valid() || ReapPidfd(pidfd.get(), /*wait=*/false)) return;
  auto* reap = new PendingReap;
  reap->pidfd = std::move(pidfd);
  reap->cgroup = std::move(cgroup);
  reap->poll.data = reap;
  if (uv_poll_init(loop, &reap->poll, reap->pidfd.get()) != 0) {
    ReapPidfd(reap->pidfd.get(), /*wait=*/true);
    delete reap;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(PendingMutex());
    Pending().push_back(reap);
  }
  if (uv_poll_start(&reap->poll, UV_READABLE, OnInitReadable) != 0) {
    ReapPidfd(reap->pidfd.get(), /*wait=*/true);
    Unlist(reap);
    Close(reap);
  }
}

void FinishPendingReaps(uv_loop_t* loop) {
  std::vector<PendingReap*> ours;
  {
    std::lock_guard<std::mutex> lock(PendingMutex());
    std::vector<PendingReap*>& pending = Pending();
    for (PendingReap* reap : pending) {
      if (reap->poll.loop == loop) ours.push_back(reap);
    }
    pending.erase(std::remove_if(pending.begin(), pending.end(),
                                 [loop](PendingReap* reap) {
                                   return reap->poll.loop == loop;
                                 }),
                  pending.end());
  }
  for (PendingReap* reap : ours) {
    // Its end was reported, or it was killed: nothing is lost by killing it
    // now, and one that is stopped (signalled from outside its namespace)
    // would otherwise never exit.
    ::syscall(SYS_pidfd_send_signal, reap->pidfd.get(), SIGKILL, nullptr, 0);
    ReapPidfd(reap->pidfd.get(), /*wait=*/true);
    uv_poll_stop(&reap->poll);
    // Now, not in the close callback: an app's loop may never run again.
    reap->cgroup.reset();
    reap->pidfd.reset();
    Close(reap);
  }
}

int PendingReapsForTesting(uv_loop_t* loop) {
  std::lock_guard<std::mutex> lock(PendingMutex());
  return static_cast<int>(std::count_if(
      Pending().begin(), Pending().end(),
      [loop](PendingReap* reap) { return reap->poll.loop == loop; }));
}

}  // namespace bulkhead
