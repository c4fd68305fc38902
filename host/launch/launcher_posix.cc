#include <signal.h>
#include <sys/wait.h>
#include <uv.h>

#include <cerrno>

#include "common/os_error.h"
#include "host/launch/launcher.h"
#include "ipc/handle_transport.h"

namespace bulkhead {

unsigned int PlatformSpawnFlags() { return UV_PROCESS_DETACHED; }

absl::StatusOr<HandleTransportEnds> CreateHandleTransportEnds() {
  absl::StatusOr<HandlePair> pair = ipc::HandleTransport::CreatePair();
  if (!pair.ok()) return pair.status();
  HandleTransportEnds ends;
  ends.helper_fd = pair->second.get();
  ends.host = std::move(pair->first);
  ends.helper = std::move(pair->second);
  return ends;
}

absl::StatusOr<ScopedHandle> TakeHostTransportEnd(HandleTransportEnds& ends,
                                                  int64_t) {
  return std::move(ends.host);
}

absl::Status SignalProcessTree(int64_t pid, int signal) {
  if (pid <= 0) return absl::InvalidArgumentError("no such process");
  absl::Status sent = absl::OkStatus();
  if (::kill(static_cast<pid_t>(-pid), signal) != 0 &&
      ::kill(static_cast<pid_t>(pid), signal) != 0 && errno != ESRCH) {
    // Not a group leader (e.g. it called setsid again): at least the helper.
    sent = LastPosixErrorToStatus("kill");
  }
  // KillHelperDescendants stopped it: a SIGTERM is acted on once it runs.
  if (signal == SIGTERM) ::kill(static_cast<pid_t>(pid), SIGCONT);
  return sent;
}

bool TerminationLeavesExitCode() { return false; }

bool ChildHasEnded(int64_t pid) {
  if (pid <= 0) return false;
  siginfo_t info = {};
  int rc;
  while ((rc = ::waitid(P_PID, static_cast<id_t>(pid), &info,
                        WEXITED | WNOHANG | WNOWAIT)) != 0 &&
         errno == EINTR) {
  }
  // ECHILD (not this process's child, or reaped): nothing known here.
  return rc == 0 && info.si_pid != 0;
}

void SweepProcessTree(int64_t pid) {
  if (pid > 0) ::kill(static_cast<pid_t>(-pid), SIGKILL);
}

// Waited for in one go: the caller is a destructor that cannot wait for the
// loop.
constexpr int kKillAndReapSweepMs = 5000;

void KillAndReapNow(int64_t pid) {
  if (pid <= 0) return;
  KillHelperDescendants(pid, kKillAndReapSweepMs);
  ::kill(static_cast<pid_t>(-pid), SIGKILL);
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace bulkhead
