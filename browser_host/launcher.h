// Starts a helper process: this binary (or `executable`) again, in a role, with
// the helper's end of the channel at fd 3.
#ifndef BULKHEAD_BROWSER_HOST_LAUNCHER_H_
#define BULKHEAD_BROWSER_HOST_LAUNCHER_H_

#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bulkhead {

struct LaunchOptions {
  // Empty: the running executable (uv_exepath), which is how "same binary, many
  // roles" works.
  std::string executable;
  std::string role;
  uint64_t helper_id = 0;
  // Appended after bulkhead's own switches.
  std::vector<std::string> extra_args;
};

// The helper's fd number for its end of the channel.
inline constexpr int kHelperChannelFd = 3;

// The path of the running executable.
absl::StatusOr<std::string> CurrentExecutablePath();

// The helper's full argv: `<exe> --type=<role> --ipc-fd=3 --helper-id=<id>
// <extra_args...>`.
std::vector<std::string> HelperCommandLine(const std::string& executable,
                                           const LaunchOptions& options);

// Spawns the helper on `loop`. `channel` (an initialised, unconnected pipe)
// becomes the host's end of the channel; `process` (uninitialised, owned by the
// caller and kept alive until its close callback) gets `on_exit`. stdin is
// /dev/null; stdout is shared with the host; stderr goes to `stderr_pipe` (an
// initialised, unconnected pipe) or, when it is null, is shared too.
absl::Status SpawnHelper(uv_loop_t* loop, const LaunchOptions& options,
                         uv_pipe_t* stderr_pipe, uv_pipe_t* channel,
                         uv_process_t* process, uv_exit_cb on_exit);

// Kills a still-running helper with the strongest signal and waits for it, for
// destructors that cannot wait for the loop. `process` must already be closing
// (uv_close), so libuv no longer reaps it.
void KillAndReapNow(int pid);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_LAUNCHER_H_
