// Compiles a SandboxPolicy's system-call rules into a seccomp-bpf program
// (Chromium's "bpf policy as data"). The host compiles once per policy and
// sends the bytes to the helper, which installs them as its last lockdown
// step: building a filter in every helper would cost each launch ~0.25 ms.
#ifndef BULKHEAD_SANDBOX_SECCOMP_PROGRAM_H_
#define BULKHEAD_SANDBOX_SECCOMP_PROGRAM_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {

// The program as raw `struct sock_filter` instructions. A call from another
// architecture's ABI kills the process; a call the policy does not name is
// the policy's violation action (SIGSYS, or logged in learning mode).
// Unimplemented where there is no seccomp.
absl::StatusOr<std::string> CompileSeccompProgram(const SandboxPolicy& policy);

// Installs `program` (from CompileSeccompProgram) on every thread of the
// calling process. Needs no_new_privs (or CAP_SYS_ADMIN) already set.
absl::Status InstallSeccompProgram(const std::string& program);

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SECCOMP_PROGRAM_H_
