// The code a sandboxed launch runs between clone3 and the helper's exec, in
// the new namespaces (Linux). It is the namespace's init: it forks the helper
// (pid 2), execs nothing itself, reaps whatever dies in the namespace, and
// when the helper ends sends its exact wait status to the host before
// exiting — which takes everything left in the namespace with it.
//
// Why not make the helper pid 1: the kernel shields a namespace's init from
// every signal it has no handler for, except SIGKILL and hardware faults, so
// an abort() or the host's SIGTERM could never end it by that signal, and the
// host could not report how it really ended.
#ifndef BULKHEAD_HOST_LAUNCH_SANDBOX_CHILD_LINUX_H_
#define BULKHEAD_HOST_LAUNCH_SANDBOX_CHILD_LINUX_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/platform_handle.h"

#include "host/launch/launcher.h"

namespace bulkhead {

// Everything the child needs, prepared before the clone: after it, the child
// of a multi-threaded host may only make async-signal-safe system calls.
struct SandboxChildPlan {
  const char* executable = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  // Sources for the helper's fds 0..5 (-1: leave closed); all >= 10.
  int fds[kHelperHandleFd + 1] = {-1, -1, -1, -1, -1, -1};
  int go_fd = -1;      // Read end: the host's "maps are written, go on".
  int error_fd = -1;   // Write end, close-on-exec: errno of a failed exec.
  int status_fd = -1;  // Write end: the helper's HelperWaitStatus.
  // A sandboxed zygote's init (sandbox_zygote_linux.h): the process exec'd is
  // the zygote, whose helpers (CLONE_PARENT) are init's children too. Init
  // then writes a ZygoteInitRecord to `status_fd` for every child that ends,
  // the zygote included, and exits once it has none left.
  bool relay_every_child = false;
};

// What init writes to `status_fd` when the helper has been reaped: waitid's
// si_code (CLD_EXITED, CLD_KILLED, CLD_DUMPED) and si_status.
struct HelperWaitStatus {
  int32_t code = 0;
  int32_t status = 0;
};

// What a zygote's init writes to `status_fd` for each child it reaps: the
// child's pid in the namespace, and waitid's si_code and si_status. Written
// before the child is reaped (waitid with WNOWAIT), so that its pid is not
// reused in the namespace before the record is in the pipe.
struct ZygoteInitRecord {
  int32_t pid = 0;
  int32_t code = 0;
  int32_t status = 0;
};

[[noreturn]] void RunSandboxChild(const SandboxChildPlan& plan);

// The parent's side of the start: sends the child (cloned with `plan.go_fd`'s
// other end) its go byte on `go_write`, closes it, and waits on this thread
// for the exec. An errno on `exec_error_read` (whose close-on-exec write end
// closes at the exec) is the exec's failure, named "start <what>".
absl::Status LetGoAndAwaitExec(ScopedHandle go_write, int exec_error_read,
                               absl::string_view what);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_SANDBOX_CHILD_LINUX_H_
