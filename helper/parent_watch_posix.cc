// A POSIX system with neither Linux's PR_SET_PDEATHSIG nor macOS's kqueue
// (the generic POSIX build): a thread that polls getppid(), which changes
// when the parent dies and the helper is reparented (to init or a subreaper).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "helper/exit_codes.h"
#include "helper/parent_watch.h"

namespace bulkhead {

absl::Status DieWithParent() {
  const pid_t parent = ::getppid();
  if (parent == 1) std::_Exit(kExitChannelLost);  // Orphaned already.
  // The thread starts with every signal blocked, so that a process-directed
  // signal the role blocks on its own threads (SIGTERM, say) is never taken
  // by this one, whose default action would end the process.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  absl::Status started = absl::OkStatus();
  try {
    std::thread([parent] {
      while (::getppid() == parent) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      std::_Exit(kExitChannelLost);
    }).detach();
  } catch (const std::system_error& error) {
    started = absl::ResourceExhaustedError(
        absl::StrCat("parent watch thread: ", error.what()));
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return started;
}

}  // namespace bulkhead
