#include "host/exit_classification.h"

#include <uv.h>  // SIGKILL on Windows.

#include <csignal>

#include "helper/exit_codes.h"

namespace bulkhead {
namespace {

// Signals that exist only on POSIX; never a Windows exit.
#ifdef SIGSYS
constexpr int kSeccompSignal = SIGSYS;
constexpr int kCpuLimitSignal = SIGXCPU;
#else
constexpr int kSeccompSignal = -1;
constexpr int kCpuLimitSignal = -1;
#endif

}  // namespace

ProcessEnd ProcessEndFromWindowsExit(int64_t exit_status, int term_signal) {
  // The signals of the platform this runs on, so that a report reads the
  // same wherever the rule is applied.
  constexpr int kSigSegv = SIGSEGV, kSigFpe = SIGFPE, kSigAbrt = SIGABRT,
                kSigIll = SIGILL;
  // The C runtime's abort() ends the process with exit code 3.
  constexpr int64_t kAbortExitCode = 3;
  ProcessEnd end;
  end.exit_status = exit_status;
  end.term_signal = term_signal;
  if (term_signal != 0) return end;  // uv_process_kill: the host's own doing.
  const auto code = static_cast<uint32_t>(exit_status);
  // NTSTATUS error and warning codes have the top bit set; no sane exit code
  // does.
  if ((code & 0x80000000u) != 0) {
    end.exception_status = code;
    switch (code) {
      case 0xC0000094:
      case 0xC000008E:
        end.term_signal = kSigFpe;
        break;
      case 0xC0000409:
        end.term_signal = kSigAbrt;
        break;
      case 0xC000001D:
        end.term_signal = kSigIll;
        break;
      default:
        end.term_signal = kSigSegv;
        break;
    }
  } else if (exit_status == kAbortExitCode) {
    end.term_signal = kSigAbrt;
  }
  return end;
}

ExitInfo ClassifyExit(const ProcessEnd& end, const ExitEvidence& evidence) {
  ExitInfo info;
  info.exit_code = end.exit_status;
  info.signal = end.term_signal;
  info.core_dumped = end.core_dumped;
  info.exception_status = end.exception_status;
  const bool signalled = end.term_signal != 0;
  // The host's own signal ended it only if the wait status names a signal the
  // host sent while it ran. A crash that the host's kill found already dead
  // (or that beat it) is still a crash.
  const bool host_signal_ended_it =
      signalled && evidence.HostSent(end.term_signal);
  const bool exited_cleanly = !signalled && end.exit_status == 0;
  // The helper saw the host close its channel and left before the host's
  // signal reached it.
  const bool left_when_the_host_hung_up = evidence.host_closed_channel &&
                                          !signalled &&
                                          end.exit_status == kExitChannelLost;
  const bool host_kill_ended_it =
      host_signal_ended_it || left_when_the_host_hung_up;
  switch (evidence.action) {
    case HostAction::kKillRequested:
      if (host_kill_ended_it) {
        info.kind = ExitKind::kKilledByHost;
        return info;
      }
      break;
    case HostAction::kKilledAsHung:
      if (host_kill_ended_it) {
        info.kind = ExitKind::kHung;
        return info;
      }
      break;
    case HostAction::kKilledAtDeadline:
      if (host_kill_ended_it) {
        info.kind = ExitKind::kDeadlineKilled;
        return info;
      }
      break;
    case HostAction::kKilledAsBadMessage:
      if (host_kill_ended_it) {
        info.kind = ExitKind::kBadMessage;
        return info;
      }
      break;
    case HostAction::kShutdownRequested:
      if (host_signal_ended_it || exited_cleanly) {
        info.kind = ExitKind::kHostShutdown;
        return info;
      }
      break;
    case HostAction::kStopRequested:
      if (host_signal_ended_it || exited_cleanly) {
        info.kind = ExitKind::kStoppedByHost;
        return info;
      }
      break;
    case HostAction::kNone:
      break;
  }
  if (end.memory_limit_killed && signalled) {
    // The cgroup's OOM killer (its own count says so): a SIGKILL the host did
    // not send.
    info.kind = ExitKind::kOutOfMemory;
  } else if (end.term_signal == kSeccompSignal && evidence.seccomp_filter) {
    // The filter the host sent traps a forbidden system call with SIGSYS.
    info.kind = ExitKind::kSandboxViolation;
  } else if (end.term_signal == kCpuLimitSignal && evidence.cpu_limit) {
    // RLIMIT_CPU's soft limit (the sandbox's rlimits layer).
    info.kind = ExitKind::kCpuLimit;
  } else if (signalled) {
    info.kind = ExitKind::kCrashed;
  } else if (end.exit_status == kExitSandboxFailed &&
             evidence.lockdown_requested && !evidence.ready) {
    // It refused to run without a required sandbox layer: it never started.
    info.kind = ExitKind::kLaunchFailed;
    info.launch_status = absl::FailedPreconditionError(
        "the helper could not apply a required sandbox layer");
  } else if (end.exit_status == kExitWarmUpFailed && !evidence.ready) {
    // The role's warm-up failed or left a thread: its reason is the last line
    // of its stderr, which the helper process appends.
    info.kind = ExitKind::kLaunchFailed;
    info.launch_status =
        absl::FailedPreconditionError("the role's warm-up failed");
  } else if (end.exit_status == kExitOutOfMemory && evidence.memory_limit) {
    // The helper's allocation-failure path (helper/memory_limit.h).
    info.kind = ExitKind::kOutOfMemory;
  } else if (end.exit_status != 0) {
    info.kind = ExitKind::kErrorExit;
  } else if (!evidence.ready) {
    // It left without ever taking work.
    info.kind = ExitKind::kLaunchFailed;
    info.launch_status = absl::UnavailableError(
        "the helper exited with code 0 before it was ready");
  } else {
    info.kind = ExitKind::kNormalExit;
  }
  return info;
}

}  // namespace bulkhead
