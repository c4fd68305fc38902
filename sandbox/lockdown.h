// The helper's half of the sandbox: after it has initialised and before it
// reports Ready, it locks itself down layer by layer (Chrome's order): close
// every file descriptor the runtime did not name, chroot into an empty
// read-only root (holding the policy's filesystem view, if any), drop
// capabilities, no_new_privs, not dumpable, rlimits, landlock, and finally the
// seccomp filter the host compiled.
//
// Only a single-threaded process is locked down (as Chromium's sandbox
// does): capabilities and Landlock are per thread, so a thread started
// before the lockdown (a library's pool, a logger) would keep them.
#ifndef BULKHEAD_SANDBOX_LOCKDOWN_H_
#define BULKHEAD_SANDBOX_LOCKDOWN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bulkhead/export.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {

struct LockdownRequest {
  SandboxPolicy policy;
  // From CompileSeccompProgram, in the host.
  std::string seccomp_program;
  // The host's namespace inodes ("pid" -> 4026531836, ...), so the helper can
  // tell which namespaces it really has of its own.
  std::map<std::string, uint64_t> host_namespaces;
  // The cgroup the host made for it, as /proc/self/cgroup shows it ("": none),
  // and what it limits or why there is none.
  std::string cgroup_path;
  std::string cgroup_description;
  // The close-fds layer keeps stdio (0-2) and these: the descriptors the
  // runtime names (channel, crash pipe, handle socket, its event loop's own)
  // and any handed over on purpose. Every other descriptor is closed, whatever
  // it is (socket, pipe, eventfd, memfd, file); so is a listed one that is a
  // directory (it would lead out of the empty root).
  std::vector<int> keep_fds;
};

// What one layer came to.
struct LayerOutcome {
  Layer layer;
  Requirement requirement;
  bool in_force = false;
  std::string detail;  // "pid:[4026532301], host 4026531836", "ABI 4", ...
};

// Whether helpers on this platform apply Linux's layers below (namespaces'
// lockdown, rlimits, landlock, seccomp): Linux only. Windows and macOS
// helpers finish their own confinement too, in other ways
// (HelperLocksItselfDown).
BULKHEAD_EXPORT bool LockdownAvailable();

// Whether a sandboxed helper takes part in its own confinement before it
// reports Ready, so that its host sends it SandboxSettings in the Welcome and
// it calls LockDown: Linux (every layer above), Windows (it lowers its
// integrity and drops its start-up token, windows_confinement.h) and macOS
// (its seatbelt profile). False where nothing confines helpers.
BULKHEAD_EXPORT bool HelperLocksItselfDown();

// Applies every enabled layer. First it makes sure the process has a single
// thread (in sanitizer builds after telling the runtime, which then stops a
// background thread of its own): otherwise FailedPrecondition naming the
// threads, with nothing applied (IsMultiThreadedRefusal). A required layer
// that fails stops the lockdown with FailedPrecondition naming the layer and
// the kernel's reason; a best-effort one is recorded as not in force. The
// outcomes are kept for ProbeSandbox (sandbox_probe.h). Unimplemented where
// there is no such sandbox.
// Windows: lowers the process to its level's integrity, then drops the
// start-up token (lockdown_win.cc); FailedPrecondition when either fails,
// and no outcomes (the probe reads the token itself). macOS: applies the
// seatbelt profile (lockdown_mac.cc).
BULKHEAD_EXPORT absl::StatusOr<std::vector<LayerOutcome>> LockDown(
    const LockdownRequest& request);

// Whether `status` is LockDown's refusal of a multi-threaded process.
BULKHEAD_EXPORT bool IsMultiThreadedRefusal(const absl::Status& status);

// The outcomes of this process's LockDown, empty before (or without) one.
BULKHEAD_EXPORT const std::vector<LayerOutcome>& LockdownOutcomes();

// This process's open file descriptors, ascending (Linux: /proc/self/fd);
// empty where they cannot be listed. For the runtime to learn which
// descriptors its own set-up opened (LockdownRequest::keep_fds).
BULKHEAD_EXPORT std::vector<int> OpenDescriptors();

// Learning mode (ViolationAction::kLearn): the system calls this process has
// made since its lockdown, by name, sorted by number. Empty otherwise.
BULKHEAD_EXPORT std::vector<std::string> LearnedSyscalls();

// This process's namespace inodes, by name ("user", "pid", "net", "mnt",
// "ipc", "uts"); empty where there are none.
BULKHEAD_EXPORT std::map<std::string, uint64_t> CurrentNamespaces();

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_LOCKDOWN_H_
