// macOS: a sandboxed helper is exec'd as an ordinary child (uv_spawn, as
// SpawnHelper does unsandboxed) and confines itself: before it reports Ready
// it applies the seatbelt profile made from its role's policy
// (sandbox/lockdown_mac.cc), from the SandboxSettings its Welcome carries
// (sandbox::HelperLocksItselfDown() is true here). macOS has no namespaces
// and no zygote of sandbox shapes; forking after threads is unsafe there.
//
// UNVERIFIED: no Mac has compiled or run this file (docs/platforms.md).
#include <memory>
#include <utility>

#include "host/launch/sandboxed_launcher.h"

namespace bulkhead {

bool SandboxedLaunchAvailable() { return true; }

absl::StatusOr<SpawnStart> StartSandboxedSpawn(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit, SpawnedCallback on_spawned,
    std::shared_ptr<SandboxZygotes>) {
  LaunchOptions exec = options;
  exec.sandboxed = false;  // The launch itself; the helper does the rest.
  return SpawnHelper(loop, exec, stdio, std::move(on_exit), /*zygote=*/nullptr,
                     std::move(on_spawned), /*sandbox_zygotes=*/nullptr);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> SpawnSandboxedHelper(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit) {
  absl::StatusOr<SpawnStart> start = StartSandboxedSpawn(
      loop, options, stdio, std::move(on_exit), nullptr, nullptr);
  if (!start.ok()) return start.status();
  return std::move(start->child);
}

}  // namespace bulkhead
