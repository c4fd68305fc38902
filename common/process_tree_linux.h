// Killing everything a process started (Linux), for ends that must leave
// nothing behind: a helper's own exit, its host's death, and the host ending
// a helper.
//
// Raw system calls only: no allocation, no locks, nothing a sanitizer
// intercepts, so it is safe in a signal handler and in the child of a
// multi-threaded process (the helper's sweeper).
#ifndef BULKHEAD_COMMON_PROCESS_TREE_LINUX_H_
#define BULKHEAD_COMMON_PROCESS_TREE_LINUX_H_

#include "bulkhead/export.h"

namespace bulkhead {

// The children KillDescendants leaves alone.
struct KillSpare {
  int pids[2] = {0, 0};  // 0: none.
  // Children whose exit signal (what their parent gets when they end) is
  // this one, e.g. a helper's sweeper (SIGKILL); 0: none.
  int exit_signal = 0;
};

// Kills every child of `root` but those `spare` names with SIGKILL and waits
// until they have ended, round after round, until a round finds none alive
// or `timeout_ms` has passed. When `root` is a child subreaper
// (PR_SET_CHILD_SUBREAPER), the children of each child killed become `root`'s
// as it dies, so every descendant goes, also one that left the process group
// and session (setsid) or was orphaned by a double fork; otherwise only
// `root`'s children do.
//
// `root` must be the caller or a process whose pid cannot name another one
// meanwhile (the caller's unreaped child, or its live parent). A child is
// signalled through a pidfd that is checked, once open, to name a child of
// `root`: a pid reused by another process is never signalled. Children
// stay zombies (no one is reaped here). Returns how many were killed;
// `finished` (may be null) says whether a round found none alive before
// `timeout_ms` ran out (false: some may still be dying, or still forking).
BULKHEAD_EXPORT int KillDescendants(int root, const KillSpare& spare,
                                    int timeout_ms, bool* finished = nullptr);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_PROCESS_TREE_LINUX_H_
