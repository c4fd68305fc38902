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
  // The sweeper stays: its end would kill the helper at once (its exit
  // signal is SIGKILL, helper/descendant_sweep.h), and what this has not
  // killed yet would be handed to init; and a SIGTERM must reach the helper
  // itself. It ends with the helper.
  KillSpare spare;
  spare.exit_signal = SIGKILL;
  KillDescendants(static_cast<int>(pid), spare, kKillDescendantsTimeoutMs);
}

}  // namespace bulkhead
