#include "browser_host/launcher.h"

#include "absl/strings/str_cat.h"
#include "common/switches.h"
#include "ipc/uv_status.h"

namespace bulkhead {

absl::StatusOr<std::string> CurrentExecutablePath() {
  std::string path(4096, '\0');
  size_t size = path.size();
  const int rc = uv_exepath(path.data(), &size);
  if (rc != 0) return ipc::UvErrorToStatus(rc, "uv_exepath");
  path.resize(size);
  return path;
}

std::vector<std::string> HelperCommandLine(const std::string& executable,
                                           const LaunchOptions& options) {
  std::vector<std::string> args = {
      executable,
      absl::StrCat("--", switches::kType, "=", options.role),
      absl::StrCat("--", switches::kIpcFd, "=", kHelperChannelFd),
      absl::StrCat("--", switches::kHelperId, "=", options.helper_id),
  };
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  return args;
}

absl::Status SpawnHelper(uv_loop_t* loop, const LaunchOptions& options,
                         uv_pipe_t* stderr_pipe, uv_pipe_t* channel,
                         uv_process_t* process, uv_exit_cb on_exit) {
  std::string executable = options.executable;
  if (executable.empty()) {
    absl::StatusOr<std::string> self = CurrentExecutablePath();
    if (!self.ok()) return self.status();
    executable = *std::move(self);
  }
  std::vector<std::string> args = HelperCommandLine(executable, options);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  uv_stdio_container_t stdio[kHelperChannelFd + 1];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  if (stderr_pipe != nullptr) {
    stdio[2].flags =
        static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(stderr_pipe);
  } else {
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
  }
  // A bidirectional pipe (a socketpair on Unix), as Node.js sets up its IPC
  // channel. Note: UV_READABLE/UV_WRITABLE are poll flags and make uv_spawn
  // fail on Windows.
  stdio[kHelperChannelFd].flags = static_cast<uv_stdio_flags>(
      UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
  stdio[kHelperChannelFd].data.stream = reinterpret_cast<uv_stream_t*>(channel);

  uv_process_options_t spawn = {};
  spawn.exit_cb = on_exit;
  spawn.file = argv[0];
  spawn.args = argv.data();
  spawn.stdio_count = kHelperChannelFd + 1;
  spawn.stdio = stdio;
  const int rc = uv_spawn(loop, process, &spawn);
  if (rc != 0)
    return ipc::UvErrorToStatus(rc, absl::StrCat("uv_spawn ", executable));
  return absl::OkStatus();
}

}  // namespace bulkhead
