// Launching a helper inside the platform's sandbox, as opposed to uv_spawn's
// ordinary child. Windows (Chrome's model): created suspended with a
// restricted, low-integrity token, put in its own job object (kill on close,
// one process, memory limit, UI restrictions), given exactly its channel and
// stdio handles, then resumed. Other platforms: not available yet.
#ifndef BULKHEAD_BROWSER_HOST_SANDBOXED_LAUNCHER_H_
#define BULKHEAD_BROWSER_HOST_SANDBOXED_LAUNCHER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "browser_host/launcher.h"

namespace bulkhead {

// SandboxedLaunchAvailable() is declared in launch_options.h.

// Like SpawnHelper, inside the sandbox. The channel reaches the helper as
// `--ipc-handle=<value>` (Windows). Unimplemented where no sandboxed launch
// exists.
absl::StatusOr<std::unique_ptr<ChildProcess>> SpawnSandboxedHelper(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_SANDBOXED_LAUNCHER_H_
