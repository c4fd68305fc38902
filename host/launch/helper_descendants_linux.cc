#include <signal.h>

#include "common/process_tree_linux.h"
#include "host/launch/launcher.h"

namespace bulkhead {

bool KillHelperDescendants(int64_t pid, int budget_ms) {
  // Stopped, the helper neither reaps (the pids of its children stay
  // theirs) nor starts anything more; the signal that follows ends it.
  if (pid <= 0 || ::kill(static_cast<pid_t>(pid), SIGSTOP) != 0) return true;
  // The sweeper stays: its end would kill the helper at once (its exit
  // signal is SIGKILL, helper/descendant_sweep.h), and what this has not
  // killed yet would be handed to init; and a SIGTERM must reach the helper
  // itself. It ends with the helper.
  KillSpare spare;
  spare.exit_signal = SIGKILL;
  bool finished = false;
  KillDescendants(static_cast<int>(pid), spare, budget_ms, &finished);
  return finished;
}

}  // namespace bulkhead
