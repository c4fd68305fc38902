// Compiles a SandboxPolicy's system-call rules into a seccomp-bpf program
// (Chromium's "bpf policy as data"). The host compiles once per policy and
// sends the bytes to the helper, which installs them as its last lockdown
// step: building a filter in every helper would cost each launch ~0.25 ms.
#ifndef BULKHEAD_SANDBOX_SECCOMP_PROGRAM_H_
#define BULKHEAD_SANDBOX_SECCOMP_PROGRAM_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bulkhead/export.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {

// The program as raw `struct sock_filter` instructions. A call from another
// architecture's ABI kills the process; a call the policy does not name
// traps (SIGSYS). In learning mode (ViolationAction::kLearn) every call but
// the listener's own goes to a user-notification listener instead, which
// lets it through and records it. Unimplemented where there is no seccomp.
BULKHEAD_EXPORT absl::StatusOr<std::string> CompileSeccompProgram(
    const SandboxPolicy& policy);

// Installs `program` (from CompileSeccompProgram) on every thread of the
// calling process. Needs no_new_privs (or CAP_SYS_ADMIN) already set. With
// `learning`, returns the notification listener's fd (see
// syscall_recorder_linux.h); otherwise -1.
BULKHEAD_EXPORT absl::StatusOr<int> InstallSeccompProgram(
    const std::string& program, bool learning = false);

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SECCOMP_PROGRAM_H_
