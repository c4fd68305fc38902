// Launching a helper inside the platform's sandbox, as opposed to uv_spawn's
// ordinary child. Linux: clone3 into new namespaces under a small init, the
// helper then locks itself down (sandboxed_launcher_linux.cc). Windows
// (Chrome's model, sandbox/windows_confinement.h): created suspended with a
// restricted, low-integrity token at its role's level on an alternate
// desktop, put in its own job object (kill on close, processes, memory
// limit, UI restrictions), given exactly its channel and stdio handles, then
// resumed; it lowers its integrity and drops its start-up token itself.
// macOS: an ordinary exec; the helper applies its seatbelt profile itself
// before Ready (sandboxed_launcher_mac.cc, unverified). Elsewhere (generic
// POSIX): not available (sandboxed_launcher_unsupported.cc).
#ifndef BULKHEAD_HOST_LAUNCH_SANDBOXED_LAUNCHER_H_
#define BULKHEAD_HOST_LAUNCH_SANDBOXED_LAUNCHER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "host/launch/launcher.h"
#include "host/launch/sandbox_zygote.h"

namespace bulkhead {

// SandboxedLaunchAvailable() is declared in launch_options.h.

// Like SpawnHelper, inside the sandbox. Linux: returns a pending launch
// (the clone and the wait for the exec, or the fork from `zygotes`, run on
// the launcher thread, and `on_spawned` reports on the loop); elsewhere the
// child at once. With `zygotes` (Linux; null elsewhere or to exec), the
// helper is forked by its shape's zygote (sandbox_zygote.h), and exec'd when
// there is none or it refuses. What can be checked up front (the
// executable, the pipes, a required cgroup) fails here. Unimplemented where
// no sandboxed launch exists.
absl::StatusOr<SpawnStart> StartSandboxedSpawn(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit, SpawnedCallback on_spawned,
    std::shared_ptr<SandboxZygotes> zygotes);

// Windows and macOS: the synchronous launch StartSandboxedSpawn returns. On
// Windows the channel reaches the helper as `--ipc-handle=<value>`; on macOS
// as fd 3 (`--ipc-fd=3`), as for an unsandboxed helper.
absl::StatusOr<std::unique_ptr<ChildProcess>> SpawnSandboxedHelper(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_SANDBOXED_LAUNCHER_H_
