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
//
// Whatever the policy allows, no call reaches another process (helpers
// forked from one zygote share a pid namespace): kill, tkill, tgkill,
// rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_open, process_vm_readv,
// process_vm_writev and kcmp pass only when each pid they name is the
// caller's; prlimit64 and the scheduling setters (sched_setscheduler,
// sched_setparam, sched_setattr, sched_setaffinity) only for the caller's
// pid or 0 (not by another of its threads' ids: the filter cannot tell
// those from a sibling's); setpriority and ioprio_set likewise, and only by
// process (not by group or user); fcntl's F_SETOWN (the process a
// descriptor's SIGIO, or the signal F_SETSIG picks, goes to) only for the
// caller's pid or 0, F_SETOWN_EX (which names it through a pointer) never,
// nor ioctl's FIOSETOWN and SIOCSPGRP;
// get_robust_list, move_pages, migrate_pages and perf_event_open (which the
// kernel checks as ptrace: not-dumpable, a layer a policy may turn off)
// only for the caller's pid or 0; CrossProcessCalls() (sandbox_policy.h)
// never.
// Anything else traps, in learning mode too. The caller's pid is not known
// here (the host compiles before the helper exists): the program carries a
// placeholder, one `BPF_LDX | BPF_IMM` instruction per check, that
// InstallSeccompProgram fills in.
BULKHEAD_EXPORT absl::StatusOr<std::string> CompileSeccompProgram(
    const SandboxPolicy& policy);

// Installs `program` (from CompileSeccompProgram) on every thread of the
// calling process, its own-process checks bound to the caller's pid as its
// pid namespace numbers it (read here). A process the caller starts later
// inherits the filter bound to the caller's pid, not its own (fork is not in
// the base allowlist; the teardown keeper, which shares the helper's memory,
// signals nobody; a hostile helper's own keeper-shaped clone can, and
// outlives it). The caller must lead its session, as both launch paths make
// it (setsid), and no process it starts may leave it (setsid is in
// CrossProcessCalls()): the pid then stays the session's id, so the kernel
// gives it to no sibling while one of them lives. Needs no_new_privs (or
// CAP_SYS_ADMIN) already set. With `learning`, returns the notification
// listener's fd (see syscall_recorder_linux.h); otherwise -1.
BULKHEAD_EXPORT absl::StatusOr<int> InstallSeccompProgram(
    const std::string& program, bool learning = false);

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SECCOMP_PROGRAM_H_
