// macOS: a thread that waits in kevent for the parent's EVFILT_PROC NOTE_EXIT.
// Unverified: no Mac has run this yet (docs/platforms.md).
#include <signal.h>
#include <sys/event.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "common/os_error.h"
#include "helper/exit_codes.h"
#include "helper/parent_watch.h"

namespace bulkhead {

absl::Status DieWithParent() {
  const pid_t parent = ::getppid();
  const int queue = ::kqueue();
  if (queue < 0) return LastPosixErrorToStatus("kqueue");
  struct kevent watch;
  EV_SET(&watch, parent, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0,
         nullptr);
  if (::kevent(queue, &watch, 1, nullptr, 0, nullptr) != 0) {
    // ESRCH: the parent is gone already.
    ::close(queue);
    std::_Exit(kExitChannelLost);
  }
  // The parent may have died before the filter was added; then we were
  // reparented already.
  if (::getppid() != parent) std::_Exit(kExitChannelLost);
  // Every signal blocked in the thread (see parent_watch_posix.cc).
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread([queue] {
    struct kevent fired;
    while (::kevent(queue, nullptr, 0, &fired, 1, nullptr) != 1) {
    }
    std::_Exit(kExitChannelLost);
  }).detach();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return absl::OkStatus();
}

}  // namespace bulkhead
