#include <signal.h>

#include "browser_host/launcher.h"
#include "common/process_tree_linux.h"

namespace bulkhead {

// Killed with SIGKILL, descendants end within milliseconds; this bounds the
// wait for one in an uninterruptible sleep.
constexpr int kKillDescendantsTimeoutMs = 1000;

void KillHelperDescendants(int64_t pid) {
  // Stopped, the helper neither reaps (the pids of its children stay
  // theirs) nor starts anything more; the signal that follows ends it.
  if (pid <= 0 || ::kill(static_cast<pid_t>(pid), SIGSTOP) != 0) return;
  KillDescendants(static_cast<int>(pid), 0, kKillDescendantsTimeoutMs);
}

}  // namespace bulkhead
