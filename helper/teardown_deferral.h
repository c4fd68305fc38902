// Lets the host hear of this helper's death before the kernel has torn its
// memory down (Linux, unsandboxed helpers).
//
// Why: most of the time between a helper's crash and the host's wait status
// is the kernel unmapping the dying process's memory (exit_mmap), and the
// host only hears of the death after it. A second process sharing the
// helper's address space (clone CLONE_VM, a separate thread group) keeps
// that memory alive: the helper's own exit then only drops a reference, its
// wait status reaches the host at once, and the keeper, woken by the
// helper's end, tears the memory down right after, off the host's path.
//
// The keeper runs no C library code (it shares the helper's thread-local
// storage): raw system calls on its own stack. It closes every fd but one
// pipe, blocks every signal it can, and leaves when the pipe's write end
// (the helper's, close-on-exec) closes or its parent dies. It is in the
// helper's process group, so the host's sweep ends it too.
//
// A sandboxed helper makes its keeper after it has locked itself down, so
// the keeper inherits every layer (namespaces, rlimits, no_new_privs,
// Landlock, the seccomp filter): a process that shares a confined helper's
// memory must be as confined, or it would be a way out. The base runtime's
// filter allows exactly this clone (CLONE_VM | CLONE_UNTRACED, no exit
// signal), and the confined keeper makes only calls that filter allows: no
// parent-death signal or close_range then. Inside a pid namespace it also
// ends with the namespace, once its init has reported the helper's end.
#ifndef BULKHEAD_HELPER_TEARDOWN_DEFERRAL_H_
#define BULKHEAD_HELPER_TEARDOWN_DEFERRAL_H_

#include "absl/status/status.h"

namespace bulkhead {

// Starts the keeper and returns once it holds none of the helper's fds.
// `confined`: the helper has locked itself down (see above). Unimplemented
// where there is none (other platforms and CPUs, ThreadSanitizer builds);
// the helper works the same without it.
absl::Status DeferTeardownToKeeper(bool confined);

// The keeper's pid, 0 before it started or where there is none.
// Async-signal-safe.
int TeardownKeeperPid();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_TEARDOWN_DEFERRAL_H_
