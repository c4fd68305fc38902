#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include "browser_host/launcher.h"

namespace bulkhead {

void KillAndReapNow(int64_t pid) {
  if (pid <= 0) return;
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace bulkhead
