#include "browser_host/exit_info.h"

#include <uv.h>  // SIGKILL on Windows.

#include <csignal>

#include "absl/strings/str_cat.h"
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

const char* SignalName(int signal) {
  switch (signal) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGKILL:
      return "SIGKILL";
#ifdef SIGBUS
    case SIGBUS:
      return "SIGBUS";
#endif
#ifdef SIGSYS
    case SIGSYS:
      return "SIGSYS";
#endif
    default:
      return "signal";
  }
}

}  // namespace

const char* LifecycleStageName(LifecycleStage stage) {
  switch (stage) {
    case LifecycleStage::kLaunching:
      return "launching";
    case LifecycleStage::kStarted:
      return "started";
    case LifecycleStage::kReady:
      return "ready";
    case LifecycleStage::kExiting:
      return "exiting";
    case LifecycleStage::kExited:
      return "exited";
  }
  return "?";
}

const char* ExitKindName(ExitKind kind) {
  switch (kind) {
    case ExitKind::kNormalExit:
      return "normal-exit";
    case ExitKind::kErrorExit:
      return "error-exit";
    case ExitKind::kCrashed:
      return "crashed";
    case ExitKind::kKilledByHost:
      return "killed-by-host";
    case ExitKind::kHung:
      return "hung";
    case ExitKind::kBadMessage:
      return "bad-message";
    case ExitKind::kOutOfMemory:
      return "out-of-memory";
    case ExitKind::kSandboxViolation:
      return "sandbox-violation";
    case ExitKind::kCpuLimit:
      return "cpu-limit";
    case ExitKind::kLaunchFailed:
      return "launch-failed";
    case ExitKind::kHostShutdown:
      return "host-shutdown";
  }
  return "unknown";
}

std::string ExitInfo::Describe() const {
  std::string text = ExitKindName(kind);
  switch (kind) {
    case ExitKind::kErrorExit:
      absl::StrAppend(&text, " (code ", exit_code, ")");
      break;
    case ExitKind::kCrashed:
      if (exception_status != 0) {
        absl::StrAppend(&text, " (exception 0x", absl::Hex(exception_status),
                        " ", ExceptionName(exception_status), ")");
      } else {
        absl::StrAppend(&text, " (signal ", signal, " ", SignalName(signal),
                        core_dumped ? ", core dumped" : "", ")");
      }
      break;
    case ExitKind::kSandboxViolation:
      absl::StrAppend(&text, " (syscall ", syscall, ")");
      break;
    case ExitKind::kLaunchFailed:
      absl::StrAppend(&text, ": ", launch_status.ToString());
      break;
    default:
      break;
  }
  if (!detail.empty()) absl::StrAppend(&text, ": ", detail);
  return text;
}

const char* ExceptionName(uint32_t code) {
  switch (code) {
    case 0xC0000005:
      return "ACCESS_VIOLATION";
    case 0xC00000FD:
      return "STACK_OVERFLOW";
    case 0xC0000094:
      return "INTEGER_DIVIDE_BY_ZERO";
    case 0xC000008E:
      return "FLOAT_DIVIDE_BY_ZERO";
    case 0xC0000409:
      return "STACK_BUFFER_OVERRUN (fast-fail)";
    case 0xC000001D:
      return "ILLEGAL_INSTRUCTION";
    case 0xC0000017:
      return "NO_MEMORY";
    case 0x80000003:
      return "BREAKPOINT";
    default:
      return "exception";
  }
}

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

ExitInfo ClassifyExit(const ProcessEnd& end, HostAction action,
                      bool host_killed) {
  ExitInfo info;
  info.exit_code = end.exit_status;
  info.signal = end.term_signal;
  info.core_dumped = end.core_dumped;
  info.exception_status = end.exception_status;
  const bool crashed_on_its_own = end.term_signal != 0 && !host_killed;
  switch (action) {
    case HostAction::kKillRequested:
      info.kind = ExitKind::kKilledByHost;
      return info;
    case HostAction::kKilledAsHung:
      info.kind = ExitKind::kHung;
      return info;
    case HostAction::kKilledAsBadMessage:
      info.kind = ExitKind::kBadMessage;
      return info;
    case HostAction::kShutdownRequested:
      if (!crashed_on_its_own && (end.exit_status == 0 || host_killed)) {
        info.kind = ExitKind::kHostShutdown;
        return info;
      }
      break;
    case HostAction::kNone:
      break;
  }
  if (end.memory_limit_killed && end.term_signal != 0) {
    // The cgroup's OOM killer: a SIGKILL the host did not send.
    info.kind = ExitKind::kOutOfMemory;
  } else if (end.term_signal == kSeccompSignal) {
    // Only a seccomp filter sends SIGSYS: a forbidden system call.
    info.kind = ExitKind::kSandboxViolation;
  } else if (end.term_signal == kCpuLimitSignal) {
    // RLIMIT_CPU's soft limit (the sandbox's rlimits layer).
    info.kind = ExitKind::kCpuLimit;
  } else if (end.term_signal != 0) {
    info.kind = ExitKind::kCrashed;
  } else if (end.exit_status == kExitSandboxFailed) {
    // It refused to run without a required sandbox layer: it never started.
    info.kind = ExitKind::kLaunchFailed;
    info.launch_status = absl::FailedPreconditionError(
        "the helper could not apply a required sandbox layer");
  } else if (end.exit_status == kExitOutOfMemory) {
    // The helper's allocation-failure path (helper/memory_limit.h).
    info.kind = ExitKind::kOutOfMemory;
  } else if (end.exit_status != 0) {
    info.kind = ExitKind::kErrorExit;
  } else {
    info.kind = ExitKind::kNormalExit;
  }
  return info;
}

}  // namespace bulkhead
