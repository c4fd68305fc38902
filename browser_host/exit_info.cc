#include "browser_host/exit_info.h"

#include <csignal>

#include "absl/strings/str_cat.h"

namespace bulkhead {
namespace {

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
#ifdef SIGKILL
    case SIGKILL:
      return "SIGKILL";
#endif
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
      absl::StrAppend(&text, " (signal ", signal, " ", SignalName(signal),
                      core_dumped ? ", core dumped" : "", ")");
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

ExitInfo ClassifyExit(const ProcessEnd& end, HostAction action,
                      bool host_killed) {
  ExitInfo info;
  info.exit_code = end.exit_status;
  info.signal = end.term_signal;
  info.core_dumped = end.core_dumped;
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
  if (end.term_signal != 0) {
    info.kind = ExitKind::kCrashed;
  } else if (end.exit_status != 0) {
    info.kind = ExitKind::kErrorExit;
  } else {
    info.kind = ExitKind::kNormalExit;
  }
  return info;
}

}  // namespace bulkhead
