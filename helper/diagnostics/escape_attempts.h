// The escape-attempt suite: from inside a sandboxed helper, tries each thing a
// compromised helper must not be able to do and reports what happened.
#ifndef BULKHEAD_HELPER_DIAGNOSTICS_ESCAPE_ATTEMPTS_H_
#define BULKHEAD_HELPER_DIAGNOSTICS_ESCAPE_ATTEMPTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace bulkhead {

class HelperContext;

// What the attempts aim at, as the host sees it. An empty or zero target is
// not guessed: the attempts that need it are reported with `blocked` false and
// an outcome starting "SKIPPED", so that a caller requiring every attempt to be
// blocked notices the missing target.
struct EscapeTargets {
  // The host, as the host's pid namespace sees it.
  int64_t host_pid = 0;
  // Another helper, as the host's pid namespace sees it.
  int64_t sibling_pid = 0;
  // A port the test host listens on at 127.0.0.1.
  int tcp_port = 0;
  // A listening AF_UNIX socket in the filesystem.
  std::string unix_socket_path;
  // A listening abstract AF_UNIX socket of the host's (its name without the
  // leading NUL), as an X server or D-Bus has.
  std::string abstract_socket_name;
  // The user's home directory (from the host).
  std::string home_dir;
  // The channel another helper uses, e.g. "/proc/<sibling pid>/fd/3". When it
  // has that form, "steal-sibling-channel" also tries pidfd_getfd on that fd.
  std::string sibling_channel_path;
  // The helper's filesystem view (SandboxPolicy::filesystem), for the view's
  // attempts, which run only when `view_ro_dir` is set (a helper without a
  // view has none to try): a read-only directory of the view, a read-write
  // one and a tmpfs of `view_tmpfs_bytes` (each may be empty: SKIPPED), and
  // an existing host file outside the view (a sibling of `view_ro_dir`, say).
  // "view-read-outside", "view-write-ro", "view-ro-dotdot",
  // "view-ro-dirfd-dotdot", "view-symlink-in-rw" (a symlink to
  // `view_outside_file` planted in the read-write directory, then opened),
  // "view-rw-exec" (a file written there, then mapped executable),
  // "view-proc-self-fd" and "view-fill-tmpfs" (blocked when the writes stop
  // at the cap, rounded up to a page) must all fail.
  std::string view_ro_dir;
  std::string view_rw_dir;
  std::string view_tmpfs_dir;
  uint64_t view_tmpfs_bytes = 0;
  std::string view_outside_file;
  // A directory the helper's broker rules allow it to read, where the caller
  // planted "bulkhead-link-out" (a symbolic link to a file outside) and
  // "bulkhead-fifo" (a FIFO). Empty: the broker's attempts aim at /tmp.
  std::string broker_dir;
  // A value the host planted in its own environment before launching the
  // helper; "read-environment-canary" looks for it in the helper's environ,
  // /proc/self/environ and its parent's /proc/<ppid>/environ.
  std::string environment_canary;
};

struct EscapeAttempt {
  // Stable id, e.g. "open-etc-passwd".
  std::string name;
  // True when the attempt failed: an errno or a seccomp trap. Exceptions:
  // the probes below; "list-root" also counts an empty `/` (the sandbox's
  // chroot); "process-vm-readv-host" reads address 0, so EFAULT there means
  // the access check passed (not blocked); "unshare-user" counts ENOSPC (a
  // user namespace limit of 0); "personality" counts a persona left unchanged.
  bool blocked = false;
  // What happened: "EACCES", "SIGSYS: seccomp trapped mount", "SUCCEEDED: read
  // 1234 bytes", "REACHABLE: EFAULT (...)", "SKIPPED: no sibling_pid", ...
  std::string outcome;
};

// What a helper sets up before its lockdown when the host asks for it
// (--escape-bait), so that the suite can try afterwards what code that ran
// before the lockdown left behind: one descriptor of each kind (an internet
// and a unix socket, a pipe, an eventfd, a memfd, a copy of /dev/null, a file
// and a directory) and a thread, as libraries open and start them.
//
// The lockdown refuses to run beside another thread (sandbox/lockdown.h):
// LockDownBeside records that refusal, ends the thread and runs the lockdown
// again. Were a lockdown to go ahead beside it, the thread would stay, and
// the suite's attempts from it would show what it kept.
class EscapeBait {
 public:
  // Linux; nullptr elsewhere. The descriptors that cannot be opened are
  // reported as SKIPPED by the suite.
  static std::unique_ptr<EscapeBait> Plant();
  // Ends the thread; closes the descriptors unless a lockdown ran (which
  // closed them, and their numbers may name other files by now).
  ~EscapeBait();
  EscapeBait(const EscapeBait&) = delete;
  EscapeBait& operator=(const EscapeBait&) = delete;

  // Runs `lockdown` with the thread alive; when it refused a multi-threaded
  // process, ends the thread and runs it once more. Returns the last run's
  // status.
  absl::Status LockDownBeside(absl::FunctionRef<absl::Status()> lockdown);

  struct State;  // Platform-defined.
  const State& state() const { return *state_; }

 private:
  explicit EscapeBait(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Tries each forbidden thing once, from the calling thread, and reports each
// result, one entry per attempt with a distinct name, in a fixed order (the
// list is at the top of escape_attempts_linux.cc).
//
// Never crashes the process when the seccomp filter answers with
// SECCOMP_RET_TRAP: a temporary SIGSYS handler, installed and SIGSYS unblocked
// for the duration of the call, makes the trapped syscall return -ENOSYS and
// records its number; the previous SIGSYS action and signal mask are restored
// afterwards. The handler is process-wide: call this while no other thread
// makes syscalls the filter traps (theirs would fail with ENOSYS instead of
// killing the helper, and be reported as this thread's). A filter that kills
// (SECCOMP_RET_KILL_*) kills the helper at the first forbidden attempt; the
// attempts run in a child are the exception (the child dies, the attempt is
// reported blocked). A SIGSYS that did not come from seccomp is ignored while
// the handler is installed.
//
// Probes. Where success would be harmful, a syscall is called with arguments
// the kernel rejects only after the checks the sandbox is about (e.g.
// init_module with a zero length: the kernel checks CAP_SYS_MODULE first):
// EPERM, EACCES, ENOSYS or a trap count as blocked, an argument error
// ("REACHABLE: EFAULT") as not blocked.
//
// Nothing it does harms the machine when run unsandboxed, as root: signals sent
// are SIGCONT; ptrace uses PTRACE_SEIZE from a short-lived child (the tracee is
// not stopped, and the child's exit detaches it; in-process, when fork fails,
// a seized tracee is interrupted and detached at once); attempts whose success
// would change the calling process (setuid, unshare, chroot, mount,
// personality, rlimits, execve) run in a forked child that reports through a
// pipe, in-process only when fork or pipe2 fails (then undone where possible);
// files created are removed, fds opened closed, keys added invalidated, a
// tmpfs mounted (on a fresh directory under /tmp) unmounted.
//
// For the suite itself to work under a filter, these must stay allowed:
// rt_sigaction, rt_sigprocmask, rt_sigreturn, getpid, pipe2, clone (fork),
// wait4, poll (ppoll on aarch64), read, write, close, kill (only to end a
// child that outlived its 5 s deadline), exit_group, and what malloc needs. If
// pipe2 or fork fails the attempts they serve run in-process; if poll or wait4
// fails, such an attempt is reported "UNKNOWN", not blocked.
//
// With `bait` (planted before the lockdown, see above), also tries through
// each of its descriptors and from its thread ("prelockdown-fd-*",
// "prelockdown-thread-*"): a descriptor the lockdown closed is blocked (EBADF,
// or its number now names another file), a thread the lockdown refused to
// run beside is blocked ("REFUSED: ..."). Without it those attempts are
// reported SKIPPED.
//
// Linux only; elsewhere it returns an empty vector.
//
// The file broker's attempts ("broker-*") ask the host (through the
// context's OpenFile, or straight on the channel) for what its broker rules
// must refuse: `..` out of `targets.broker_dir`, absolute paths outside it,
// the host's own /proc/self/fd, the planted symbolic link and FIFO, creating
// a file under a read rule, O_PATH and O_DIRECTORY, and a flood of requests
// (blocked when the host turns some away: RESOURCE_EXHAUSTED). Each is
// blocked when no file came back. They take round trips: `done` runs once,
// on the loop, with one entry per attempt in a fixed order. Linux only;
// elsewhere `done` gets an empty vector.
void RunBrokerEscapeAttempts(
    HelperContext& context, const EscapeTargets& targets,
    absl::AnyInvocable<void(std::vector<EscapeAttempt>)> done);

std::vector<EscapeAttempt> RunEscapeAttempts(const EscapeTargets& targets,
                                             const EscapeBait* bait = nullptr);

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_DIAGNOSTICS_ESCAPE_ATTEMPTS_H_
