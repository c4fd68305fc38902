// How the host turns a helper's end into an ExitInfo (host/exit_info.h): the
// OS's report made platform-neutral (ProcessEnd), what the host itself knows
// (ExitEvidence), and the rule that combines them (ClassifyExit). Internal to
// bulkhead_host: not installed, not part of the API.
#ifndef BULKHEAD_HOST_EXIT_CLASSIFICATION_H_
#define BULKHEAD_HOST_EXIT_CLASSIFICATION_H_

#include <cstdint>

#include "host/exit_info.h"

namespace bulkhead {

// How the process ended, as the OS reported it: `term_signal` != 0 when a
// signal ended it.
struct ProcessEnd {
  // Windows: the unhandled exception that ended the process, 0 for none.
  uint32_t exception_status = 0;
  int64_t exit_status = 0;
  int term_signal = 0;
  bool core_dumped = false;
  // The kernel's OOM killer ended it at its cgroup's memory limit.
  bool memory_limit_killed = false;
};

// What libuv's exit callback reported, made platform-neutral: on Windows an
// exception code or abort()'s exit code 3 becomes a crash with the matching
// signal. Picked per platform (process_end_posix.cc / process_end_win.cc).
ProcessEnd ProcessEndFromUv(int64_t exit_status, int term_signal);

// The Windows rule, pure, so that it is testable everywhere: exception codes
// (0xC0000005 access violation, 0xC00000FD stack overflow, 0xC0000094 integer
// divide by zero, 0xC0000409 fast-fail, ...) and exit code 3 (abort) are
// crashes; anything else is an exit code.
ProcessEnd ProcessEndFromWindowsExit(int64_t exit_status, int term_signal);

// What the host knows of a helper besides its wait status: a kind is claimed
// only when this backs it, since a helper can end with any signal or exit code
// by itself.
struct ExitEvidence {
  HostAction action = HostAction::kNone;
  // The signals the host sent while the helper was still running (bit `n` for
  // signal `n`): a signal that found it already dead is not here. `action`
  // names the end only when the wait status is one of these, or, for a
  // requested shutdown or stop, an exit with code 0.
  uint64_t host_signals = 0;
  // The host closed its channel to kill it (a kill, a hang, a protocol
  // violation): exit code 81 (the channel was lost) is then the helper's
  // answer to that close, and the kill's kind names the end.
  bool host_closed_channel = false;
  // The host sent it a seccomp filter that traps violations, and the helper did
  // not report the seccomp layer off: a SIGSYS is a violation.
  bool seccomp_filter = false;
  // The host set it a CPU-time limit (RLIMIT_CPU): a SIGXCPU is that limit.
  bool cpu_limit = false;
  // The host set it a memory limit (address space, job or cgroup): exit code 83
  // is that limit.
  bool memory_limit = false;
  // The host sent it sandbox settings to lock itself down with: exit code 85
  // before Ready is a layer that failed.
  bool lockdown_requested = false;
  // It reported Ready.
  bool ready = false;

  void AddHostSignal(int signal) {
    if (signal > 0 && signal < 64) host_signals |= uint64_t{1} << signal;
  }
  bool HostSent(int signal) const {
    return signal > 0 && signal < 64 && (host_signals >> signal & 1) != 0;
  }
};

// Classifies the end of a helper: the host's action when its own doing ended
// the helper, else what the wait status shows, with a limit's or the sandbox's
// kind only when `evidence` backs it (a plain crash or exit code otherwise).
ExitInfo ClassifyExit(const ProcessEnd& end, const ExitEvidence& evidence);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_EXIT_CLASSIFICATION_H_
