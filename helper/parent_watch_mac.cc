// macOS: a thread that waits in kevent for the parent's EVFILT_PROC NOTE_EXIT.
// Unverified: no Mac has run this yet (docs/platforms.md).
#include <signal.h>
#include <sys/event.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "helper/exit_codes.h"
#include "helper/parent_watch.h"

namespace bulkhead {

absl::Status DieWithParent() {
  const pid_t parent = ::getppid();
  if (parent == 1) std::_Exit(kExitChannelLost);  // Orphaned already.
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
  absl::Status started = absl::OkStatus();
  try {
    std::thread([queue, parent] {
      struct kevent fired;
      int n;
      do {
        n = ::kevent(queue, nullptr, 0, &fired, 1, nullptr);
      } while (n < 0 && errno == EINTR);
      // An error other than EINTR: watch by polling, as on other systems.
      while (n < 0 && ::getppid() == parent) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      std::_Exit(kExitChannelLost);
    }).detach();
  } catch (const std::system_error& error) {
    ::close(queue);
    started = absl::ResourceExhaustedError(
        absl::StrCat("parent watch thread: ", error.what()));
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return started;
}

}  // namespace bulkhead
