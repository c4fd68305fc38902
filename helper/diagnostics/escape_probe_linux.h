// Internal to the escape-attempt suite (escape_attempts_*linux.cc): running one
// raw operation with seccomp traps turned into errors, in-process or in a
// forked child, and turning its result into an `EscapeAttempt`.
#ifndef BULKHEAD_HELPER_DIAGNOSTICS_ESCAPE_PROBE_LINUX_H_
#define BULKHEAD_HELPER_DIAGNOSTICS_ESCAPE_PROBE_LINUX_H_

#include <signal.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "helper/diagnostics/escape_attempts.h"

namespace bulkhead::escape_internal {

// What one operation returned, read right after it returned. Plain data: a
// forked child sends it through a pipe.
struct SyscallResult {
  long value = 0;    // What the operation returned; -1 on failure.
  int error = 0;     // `errno` when `value` is -1, else 0.
  int trapped = -1;  // The first syscall seccomp trapped meanwhile, or -1.
};

// While alive, a seccomp trap (SIGSYS with si_code SYS_SECCOMP) makes the
// trapped syscall return -ENOSYS and is recorded for `Try`. Unblocks SIGSYS
// for the calling thread. The destructor restores the previous SIGSYS action
// and signal mask. Not nestable; one per process at a time.
class ScopedSigsysTrap {
 public:
  ScopedSigsysTrap();
  ~ScopedSigsysTrap();
  ScopedSigsysTrap(const ScopedSigsysTrap&) = delete;
  ScopedSigsysTrap& operator=(const ScopedSigsysTrap&) = delete;

  // False when sigaction failed; then a trap kills the process.
  bool installed() const { return installed_; }

 private:
  bool installed_ = false;
  struct sigaction previous_action_ = {};
  sigset_t previous_mask_ = {};
};

void ClearTrap();
int TakeTrap();

// Runs `op` (which returns -1 and sets errno on failure) and records what it
// did. Async-signal-safe when `op` is.
template <typename Op>
SyscallResult Try(Op&& op) {
  ClearTrap();
  errno = 0;
  const long value = op();
  const int error = errno;
  const int trapped = TakeTrap();
  return {value, value == -1 ? error : 0, trapped};
}

// The result of `RunIsolated`.
struct IsolatedResult {
  SyscallResult result;
  // Empty when the child reported; else how it ran instead, e.g.
  // "in-process: fork failed (SIGSYS: seccomp trapped clone)".
  std::string note;
  // The child ended without reporting (exec'd, was killed, timed out);
  // `wait_status` says how (-1 when unknown), `result` is meaningless.
  bool no_report = false;
  int wait_status = -1;
};

// Runs `op` in a forked child that reports its `SyscallResult` through a
// pipe, and reaps it (killing it after 5 s). `op` runs after fork in a
// possibly multithreaded process: async-signal-safe calls only. When pipe2 or
// fork fails, runs `in_process` here instead.
IsolatedResult RunIsolated(absl::FunctionRef<long()> op,
                           absl::FunctionRef<long()> in_process);

// "EPERM", or "errno 1234".
std::string ErrorName(int error);
// "SIGSYS: seccomp trapped mount" or the errno's name.
std::string FailureText(const SyscallResult& result);
// A trap, EPERM, EACCES or ENOSYS: the sandbox said no.
bool IsDenial(const SyscallResult& result);

// Any failure is blocked; success is "SUCCEEDED: <success>".
EscapeAttempt Plain(std::string name, const SyscallResult& result,
                    const std::string& success);
// Denials are blocked; other errors are "REACHABLE: <errno> (<why>)", not
// blocked; success is "SUCCEEDED: <success>".
EscapeAttempt Probe(std::string name, const SyscallResult& result,
                    const std::string& success, const std::string& why);
// Combines `RunIsolated` with `Plain` (or `Probe` when `why` is not empty),
// appending the note; a child that died of SIGSYS counts as blocked.
EscapeAttempt FromIsolated(std::string name, const IsolatedResult& isolated,
                           const std::string& success,
                           const std::string& why = "");
EscapeAttempt Skipped(std::string name, const std::string& why);

// The groups, each appending its attempts: files and network in
// escape_attempts_fs_linux.cc, processes in escape_attempts_linux.cc,
// privileges and kernel interfaces in escape_attempts_privilege_linux.cc.
void AppendFilesystemAttempts(const EscapeTargets& targets,
                              std::vector<EscapeAttempt>& out);
void AppendNetworkAttempts(const EscapeTargets& targets,
                           std::vector<EscapeAttempt>& out);
void AppendProcessAttempts(const EscapeTargets& targets,
                           std::vector<EscapeAttempt>& out);
// The filesystem view's, in escape_attempts_view_linux.cc (only when the
// targets name a view).
void AppendViewAttempts(const EscapeTargets& targets,
                        std::vector<EscapeAttempt>& out);
void AppendPrivilegeAttempts(const EscapeTargets& targets,
                             std::vector<EscapeAttempt>& out);
void AppendKernelAttempts(std::vector<EscapeAttempt>& out);
// The host's environment canary (escape_attempts_env_linux.cc).
EscapeAttempt EnvironmentCanaryAttempt(const std::string& canary);
// Through the bait's descriptors and from its thread (escape_bait_linux.cc).
void AppendBaitAttempts(const EscapeTargets& targets, const EscapeBait* bait,
                        std::vector<EscapeAttempt>& out);

}  // namespace bulkhead::escape_internal

#endif  // BULKHEAD_HELPER_DIAGNOSTICS_ESCAPE_PROBE_LINUX_H_
