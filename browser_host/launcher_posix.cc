#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include "browser_host/launcher.h"

namespace bulkhead {

void KillAndReapNow(int pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace bulkhead
