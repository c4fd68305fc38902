// No sandboxed launch where nothing confines a helper (the generic POSIX
// build): Linux, Windows and macOS have their own files.
#include "host/launch/sandboxed_launcher.h"

namespace bulkhead {

bool SandboxedLaunchAvailable() { return false; }

absl::StatusOr<std::unique_ptr<ChildProcess>> SpawnSandboxedHelper(
    uv_loop_t*, const LaunchOptions&, const ChildStdio&,
    ChildProcess::ExitCallback) {
  return absl::UnimplementedError(
      "sandboxed launch is not available on this platform yet");
}

absl::StatusOr<SpawnStart> StartSandboxedSpawn(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit, SpawnedCallback,
    std::shared_ptr<SandboxZygotes>) {
  return SpawnedAtOnce(
      SpawnSandboxedHelper(loop, options, stdio, std::move(on_exit)));
}

}  // namespace bulkhead
