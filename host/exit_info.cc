#include "host/exit_info.h"

#include <uv.h>  // SIGKILL on Windows.

#include <csignal>

#include "absl/strings/str_cat.h"

namespace bulkhead {
namespace {

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
    case ExitKind::kDeadlineKilled:
      return "deadline-killed";
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

}  // namespace bulkhead
