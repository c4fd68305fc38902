#include "host/exit_info.h"

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

#define BH_SIGNAL(name) {name, #name},
struct NamedSignal {
  int number;
  const char* name;
};
// Every standard signal the platform defines. Where two names share a number
// the first is used, as the C library's own table does (SIGABRT, not SIGIOT).
constexpr NamedSignal kSignalNames[] = {
#ifdef SIGHUP
    BH_SIGNAL(SIGHUP)
#endif
        BH_SIGNAL(SIGINT)
#ifdef SIGQUIT
            BH_SIGNAL(SIGQUIT)
#endif
                BH_SIGNAL(SIGILL)
#ifdef SIGTRAP
                    BH_SIGNAL(SIGTRAP)
#endif
                        BH_SIGNAL(SIGABRT)
#ifdef SIGIOT
                            BH_SIGNAL(SIGIOT)
#endif
#ifdef SIGBUS
                                BH_SIGNAL(SIGBUS)
#endif
#ifdef SIGEMT
                                    BH_SIGNAL(SIGEMT)
#endif
                                        BH_SIGNAL(SIGFPE)
#ifdef SIGKILL
                                            BH_SIGNAL(SIGKILL)
#endif
#ifdef SIGUSR1
                                                BH_SIGNAL(SIGUSR1)
#endif
                                                    BH_SIGNAL(SIGSEGV)
#ifdef SIGUSR2
                                                        BH_SIGNAL(SIGUSR2)
#endif
#ifdef SIGPIPE
                                                            BH_SIGNAL(SIGPIPE)
#endif
#ifdef SIGALRM
                                                                BH_SIGNAL(
                                                                    SIGALRM)
#endif
                                                                    BH_SIGNAL(
                                                                        SIGTERM)
#ifdef SIGSTKFLT
                                                                        BH_SIGNAL(
                                                                            SIGSTKFLT)
#endif
#ifdef SIGCHLD
                                                                            BH_SIGNAL(
                                                                                SIGCHLD)
#endif
#ifdef SIGCONT
                                                                                BH_SIGNAL(
                                                                                    SIGCONT)
#endif
#ifdef SIGSTOP
                                                                                    BH_SIGNAL(
                                                                                        SIGSTOP)
#endif
#ifdef SIGTSTP
                                                                                        BH_SIGNAL(
                                                                                            SIGTSTP)
#endif
#ifdef SIGBREAK
                                                                                            BH_SIGNAL(
                                                                                                SIGBREAK)
#endif
#ifdef SIGTTIN
                                                                                                BH_SIGNAL(
                                                                                                    SIGTTIN)
#endif
#ifdef SIGTTOU
                                                                                                    BH_SIGNAL(
                                                                                                        SIGTTOU)
#endif
#ifdef SIGURG
                                                                                                        BH_SIGNAL(
                                                                                                            SIGURG)
#endif
#ifdef SIGXCPU
                                                                                                            BH_SIGNAL(
                                                                                                                SIGXCPU)
#endif
#ifdef SIGXFSZ
                                                                                                                BH_SIGNAL(
                                                                                                                    SIGXFSZ)
#endif
#ifdef SIGVTALRM
                                                                                                                    BH_SIGNAL(
                                                                                                                        SIGVTALRM)
#endif
#ifdef SIGPROF
                                                                                                                        BH_SIGNAL(
                                                                                                                            SIGPROF)
#endif
#ifdef SIGWINCH
                                                                                                                            BH_SIGNAL(
                                                                                                                                SIGWINCH)
#endif
#ifdef SIGPOLL
                                                                                                                                BH_SIGNAL(
                                                                                                                                    SIGPOLL)
#endif
#ifdef SIGIO
                                                                                                                                    BH_SIGNAL(
                                                                                                                                        SIGIO)
#endif
#ifdef SIGPWR
                                                                                                                                        BH_SIGNAL(
                                                                                                                                            SIGPWR)
#endif
#ifdef SIGINFO
                                                                                                                                            BH_SIGNAL(
                                                                                                                                                SIGINFO)
#endif
#ifdef SIGSYS
                                                                                                                                                BH_SIGNAL(
                                                                                                                                                    SIGSYS)
#endif
};
#undef BH_SIGNAL

// "SIGPIPE", "SIGRTMIN+3", or "" for a number that names no signal here.
std::string SignalName(int signal) {
  for (const NamedSignal& named : kSignalNames) {
    if (named.number == signal) return named.name;
  }
#if defined(SIGRTMIN) && defined(SIGRTMAX)
  if (signal >= SIGRTMIN && signal <= SIGRTMAX) {
    return signal == SIGRTMIN ? "SIGRTMIN"
                              : absl::StrCat("SIGRTMIN+", signal - SIGRTMIN);
  }
#endif
  return "";
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
    case ExitKind::kStoppedByHost:
      return "stopped-by-host";
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
        const std::string name = SignalName(signal);
        absl::StrAppend(&text, " (signal ", signal, name.empty() ? "" : " ",
                        name, core_dumped ? ", core dumped" : "", ")");
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
