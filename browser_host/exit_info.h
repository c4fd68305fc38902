// Why a helper ended: one enum and struct used by the API, the CLI and reports.
// The kind comes from what really happened (the wait status and the host's own
// record of what it did), never from what the helper claims.
#ifndef BULKHEAD_BROWSER_HOST_EXIT_INFO_H_
#define BULKHEAD_BROWSER_HOST_EXIT_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"

namespace bulkhead {

enum class ExitKind {
  kNormalExit,  // Exit code 0, not asked to by the host.
  kErrorExit,   // Non-zero exit code (`exit_code`).
  kCrashed,  // Killed by a signal (`signal`) or an exception code on Windows.
  kKilledByHost,  // The host killed it on request (e.g. the user's `kill`).
  kHung,  // Missed its heartbeat or handshake deadline; the host killed it.
  kBadMessage,        // Broke the protocol; the host killed it.
  kOutOfMemory,       // Hit its memory limit.
  kSandboxViolation,  // Made a forbidden system call (`syscall`).
  kCpuLimit,          // Hit its CPU-time limit.
  kLaunchFailed,      // Never started (`launch_status`).
  kHostShutdown,      // Ended because the host shut down.
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

// What the host itself did to a helper, which outranks the wait status.
enum class HostAction {
  kNone,
  kKillRequested,       // -> kKilledByHost
  kKilledAsHung,        // -> kHung
  kKilledAsBadMessage,  // -> kBadMessage
  kShutdownRequested,  // -> kHostShutdown, unless the helper crashed on its own
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

// Classifies the end of a helper. `host_killed` says the host sent the
// terminating signal itself (so a SIGKILL is not a crash).
ExitInfo ClassifyExit(const ProcessEnd& end, HostAction action,
                      bool host_killed);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_EXIT_INFO_H_
