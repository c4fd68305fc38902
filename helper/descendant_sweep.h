// Nothing an unsandboxed helper starts outlives it or its host (Linux).
//
// A sandboxed helper needs none of this: it runs in a pid namespace of its
// own, which the kernel empties when the namespace's init (the host's child)
// ends. An unsandboxed helper shares the host's pid namespace, and what it
// starts can leave its process group and session (setsid) or be orphaned by
// a double fork, out of the reach of the host's group signal. So:
// - The helper is a child subreaper (PR_SET_CHILD_SUBREAPER): every orphaned
//   descendant is handed to it, not to init, and stays findable as its child
//   for as long as the helper lives.
// - When the helper exits (returns, or calls exit), and before a crash ends
//   it, it kills its descendants (KillDescendants, process_tree_linux.h).
// - The host, before it ends the helper, stops it and kills its descendants
//   (KillHelperDescendants, host/launch/launcher.h).
// - When the host dies without a chance to do that (SIGKILL), the helper's
//   sweeper does: a small forked child of the helper that holds a pidfd of
//   the host and nothing else. Once the host has gone it stops the helper,
//   kills its descendants and then the helper. The helper's parent-death
//   signal is cleared once the sweeper watches: that signal would kill the
//   helper first, and the kernel would hand its children to init before
//   anyone could find them. The sweeper has the parent-death signal itself,
//   so it ends with the helper; and its exit signal is SIGKILL, so the helper
//   ends with it should it end first (killed by role code): without its
//   parent-death signal, the helper would otherwise outlive the host.
// What it cannot cover: a descendant that leaves the helper's tree while it
// lives (e.g. reparented by its own subreaper), a helper killed from outside
// the host with SIGKILL or whose sweeper is killed (its children then go to
// init), a sweeper stopped when the host dies, a descendant whose exit signal
// is SIGKILL (spared as a sweeper), and code that undoes the subreaper; an
// unsandboxed helper is not confined, and these are promises to cooperative
// code (DESIGN.md, "Launch and lifetime").
#ifndef BULKHEAD_HELPER_DESCENDANT_SWEEP_H_
#define BULKHEAD_HELPER_DESCENDANT_SWEEP_H_

#include "absl/status/status.h"

namespace bulkhead {

// Makes this process a child subreaper. Unimplemented where there is none.
absl::Status AdoptOrphanedDescendants();

// For an unsandboxed helper, before role code runs: kills its descendants at
// exit and before a crash ends it (see above), and starts the sweeper, whose
// watch replaces the parent-death signal (DieWithParent, parent_watch.h).
// On failure the helper keeps its parent-death signal: it still dies with
// the host, but what it started may not. Unimplemented where there is none.
// Call once, from the helper's main thread.
absl::Status SweepDescendantsAtEnd();

// Kills this helper's descendants now when SweepDescendantsAtEnd armed it,
// else does nothing. Async-signal-safe (the crash handler calls it).
void KillOwnDescendants();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_DESCENDANT_SWEEP_H_
