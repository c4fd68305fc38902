#include "browser_host/sandboxed_launcher.h"

namespace bulkhead {

bool SandboxedLaunchAvailable() { return false; }

absl::StatusOr<std::unique_ptr<ChildProcess>> SpawnSandboxedHelper(
    uv_loop_t*, const LaunchOptions&, const ChildStdio&,
    ChildProcess::ExitCallback) {
  // TODO(issue 3): restricted token + job object launch.
  return absl::UnimplementedError(
      "sandboxed launch is not available on this platform yet");
}

}  // namespace bulkhead
