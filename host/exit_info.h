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
  // Killed by the host because a call made with
  // HelperProcess::CallOptions::kill_on_deadline passed its deadline
  // unanswered (the helper was still working on it, or stuck); `detail` names
  // the call. The call's own status is DEADLINE_EXCEEDED with this ExitInfo
  // (host/exit_info_status.h).
  kDeadlineKilled,
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
  // It had reported Ready: it ended while taking work, not while starting.
  bool was_ready = false;

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
// ended the helper (the rule is ClassifyExit, host/exit_classification.h).
enum class HostAction {
  kNone,
  kKillRequested,       // -> kKilledByHost
  kKilledAsHung,        // -> kHung
  kKilledAsBadMessage,  // -> kBadMessage
  kShutdownRequested,   // -> kHostShutdown (Host::Shutdown)
  kStopRequested,       // -> kStoppedByHost (HelperProcess::Stop)
  kKilledAtDeadline,    // -> kDeadlineKilled (CallOptions::kill_on_deadline)
};

// A short name for a Windows exception code, e.g. "ACCESS_VIOLATION".
BULKHEAD_EXPORT const char* ExceptionName(uint32_t code);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_EXIT_INFO_H_
