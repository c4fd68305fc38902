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
// Not for sandboxed helpers: the keeper is made before the helper locks
// itself down, and a process sharing a locked-down helper's memory without
// its seccomp filter would be a way out of the sandbox.
#ifndef BULKHEAD_HELPER_TEARDOWN_DEFERRAL_H_
#define BULKHEAD_HELPER_TEARDOWN_DEFERRAL_H_

#include "absl/status/status.h"

namespace bulkhead {

// Starts the keeper. Unimplemented where there is none (other platforms and
// CPUs, ThreadSanitizer builds); the helper works the same without it.
absl::Status DeferTeardownToKeeper();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_TEARDOWN_DEFERRAL_H_
