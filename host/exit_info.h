// Why a helper ended: one enum and struct used by the API, the CLI and reports.
// The kind comes from what really happened (the wait status and the host's own
// record of what it did), never from what the helper claims.
#ifndef BULKHEAD_HOST_EXIT_INFO_H_
#define BULKHEAD_HOST_EXIT_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"

namespace bulkhead {

enum class ExitKind {
  kNormalExit,  // Exit code 0 after Ready, not asked to by the host.
  kErrorExit,   // Non-zero exit code (`exit_code`).
  // Killed by a signal the host did not send (`signal`), or an exception code
  // on Windows.
  kCrashed,
  kKilledByHost,  // The host's kill ended it, on request (e.g. the user's
                  // `kill`).
  kHung,  // Missed its heartbeat or handshake deadline; the host's kill ended
          // it.
  kBadMessage,  // Broke the protocol; the host's kill ended it.
  // Hit a memory limit the host set: its cgroup's OOM killer, or exit code 83
  // (helper/exit_codes.h) with a limit in place.
  kOutOfMemory,
  // SIGSYS under the seccomp filter the host sent it (`syscall`).
  kSandboxViolation,
  kCpuLimit,  // SIGXCPU under the CPU-time limit the host set.
  // Never became ready (`launch_status`): could not be spawned, refused to run
  // without a required sandbox layer (exit code 85 before Ready), or exited
  // with code 0 before Ready.
  kLaunchFailed,
  kHostShutdown,  // Ended because the host shut down.
  // Stopped on request while the host ran on (`HelperProcess::Stop`, e.g.
  // browser_host's `restart`); `detail` says why.
  kStoppedByHost,
};

// "normal-exit", "crashed", ...: stable names for JSON and tables.
BULKHEAD_EXPORT const char* ExitKindName(ExitKind kind);

struct BULKHEAD_EXPORT ExitInfo {
  ExitKind kind = ExitKind::kNormalExit;
  int64_t exit_code =
      0;  // kErrorExit (and the raw code for every kind that exited).
  // kCrashed: the terminating signal; on Windows the signal an exception code
  // corresponds to (access violation -> SIGSEGV, ...).
  int signal = 0;
  bool core_dumped = false;       // kCrashed.
  uint32_t exception_status = 0;  // kCrashed on Windows: the NTSTATUS, if any.
  std::string syscall;            // kSandboxViolation.
  absl::Status launch_status;     // kLaunchFailed.
  std::string
      detail;  // Human-readable reason the host recorded (e.g. the violation).

  int64_t pid = 0;
  std::string role;
  uint64_t helper_id = 0;
  absl::Duration uptime;
  std::vector<std::string> last_stderr_lines;
  // The helper's stack at the crash, one frame a line, symbolised where the
  // host could; empty when the helper could not send one.
  std::vector<std::string> stack_trace;

  // One line, e.g. "crashed (signal 11 SIGSEGV)" or "bad-message: reply to call
  // 9, which ...".
  std::string Describe() const;
};

// The stages of a helper's life, reported once each and in this order
// (stages that do not happen are skipped: a helper that crashes while
// starting is never kReady, one that dies by itself is never kExiting).
enum class LifecycleStage {
  kLaunching,  // About to spawn.
  kStarted,    // Spawned: the pid is known.
  kReady,      // Handshake done; it takes work.
  kExiting,    // The host began stopping or killing it.
  kExited,     // Reaped; `exit` says why.
};

BULKHEAD_EXPORT const char* LifecycleStageName(LifecycleStage stage);

struct LifecycleEvent {
  LifecycleStage stage = LifecycleStage::kLaunching;
  uint64_t helper_id = 0;
  std::string role;
  int64_t pid = 0;                 // From kStarted on.
  const ExitInfo* exit = nullptr;  // kExited only; valid during the call.
};

// What the host itself did to a helper. It names the end only when it is what
// ended the helper (see ExitEvidence).
enum class HostAction {
  kNone,
  kKillRequested,       // -> kKilledByHost
  kKilledAsHung,        // -> kHung
  kKilledAsBadMessage,  // -> kBadMessage
  kShutdownRequested,   // -> kHostShutdown (Host::Shutdown)
  kStopRequested,       // -> kStoppedByHost (HelperProcess::Stop)
};

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

// A short name for a Windows exception code, e.g. "ACCESS_VIOLATION".
BULKHEAD_EXPORT const char* ExceptionName(uint32_t code);

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

#endif  // BULKHEAD_HOST_EXIT_INFO_H_
