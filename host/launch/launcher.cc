#include "host/launch/launcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/switches.h"
#include "host/launch/exit_watch.h"
#include "host/launch/helper_environment.h"
#include "host/launch/launcher_thread.h"
#include "host/launch/sandboxed_launcher.h"
#include "host/launch/zygote_host.h"
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
                                           const LaunchOptions& options,
                                           int crash_fd, int handle_fd,
                                           bool handles_brokered) {
  std::vector<std::string> args = {
      executable,
      absl::StrCat("--", switches::kType, "=", options.role),
      absl::StrCat("--", switches::kIpcFd, "=", kHelperChannelFd),
      absl::StrCat("--", switches::kHelperId, "=", options.helper_id),
  };
  if (crash_fd >= 0) {
    args.push_back(absl::StrCat("--", switches::kCrashFd, "=", crash_fd));
  }
  if (handle_fd >= 0) {
    args.push_back(absl::StrCat("--", switches::kHandleFd, "=", handle_fd));
  }
  if (handles_brokered) {
    args.push_back(absl::StrCat("--", switches::kHandlesBrokered));
  }
  if (options.memory_limit_bytes > 0) {
    args.push_back(absl::StrCat("--", switches::kMemoryLimit, "=",
                                options.memory_limit_bytes));
  }
  if (options.handshake_timeout > absl::ZeroDuration()) {
    args.push_back(absl::StrCat(
        "--", switches::kHandshakeTimeoutMs, "=",
        std::max<int64_t>(1, absl::ToInt64Milliseconds(
                                 options.handshake_timeout))));
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  return args;
}

OwnChildProcess::~OwnChildProcess() = default;

absl::Status OwnChildProcess::Signal(int signal) {
  if (reaped_) return absl::FailedPreconditionError("the process has ended");
  // Asked before signalling: a child that died first (a crash whose exit the
  // loop has not handled yet) is not ended by this signal.
  const bool ended = ChildHasEnded(pid_);
  const bool ending = signal == SIGTERM || signal == SIGKILL;
  if (ending && !ended) {
    if (sweep_timer_) {
      // A sweep runs: the stronger signal goes once it is done.
      if (signal == SIGKILL) pending_signal_ = SIGKILL;
      return absl::OkStatus();
    }
    // What it started goes first: once it has died, they would be init's.
    // A step here, and the rest on the loop, a step at a time.
    if (!KillHelperDescendants(pid_, kDescendantSweepStepMs)) {
      sweep_timer_ = ipc::UvHandle<uv_timer_t>(loop_);
      sweep_timer_->data = this;
      pending_signal_ = signal;
      sweep_deadline_ms_ = uv_now(loop_) + kDescendantSweepDeadlineMs;
      uv_timer_start(sweep_timer_.get(), OnSweepStep, 1, 1);
      return absl::OkStatus();
    }
  }
  // Its group still gets it: what the child started may be running.
  BH_RETURN_IF_ERROR(SignalProcessTree(pid_, signal));
  if (ended) return absl::FailedPreconditionError("the process had ended");
  if (signal != 0 && TerminationLeavesExitCode()) terminated_by_ = signal;
  return absl::OkStatus();
}

void OwnChildProcess::OnSweepStep(uv_timer_t* timer) {
  static_cast<OwnChildProcess*>(timer->data)->SweepStep();
}

void OwnChildProcess::SweepStep() {
  const bool done =
      reaped_ || KillHelperDescendants(pid_, kDescendantSweepStepMs);
  if (!done && uv_now(loop_) < sweep_deadline_ms_) return;
  sweep_timer_.Close();
  if (!done) {
    BH_LOG(kWarning, "what helper ", pid_, " started was still dying after ",
           kDescendantSweepDeadlineMs, " ms; ending it anyway");
  }
  const int signal = pending_signal_;
  pending_signal_ = 0;
  if (reaped_) return;
  if (absl::Status sent = SignalProcessTree(pid_, signal); !sent.ok()) {
    BH_LOG(kWarning, "signal ", signal, " to helper ", pid_, ": ",
           sent.message());
  }
  if (TerminationLeavesExitCode()) terminated_by_ = signal;
}

void OwnChildProcess::Reaped(int64_t status, int signal) {
  if (reaped_) return;
  reaped_ = true;
  if (signal == 0 && terminated_by_ != 0) signal = terminated_by_;
  SweepProcessTree(pid_);
  ExitCallback on_exit = std::move(on_exit_);
  if (on_exit) on_exit(status, signal);  // May destroy `this`.
}

void OwnChildProcess::KillAndSweep() {
  if (!reaped_) KillAndReapNow(pid_);
  SweepProcessTree(pid_);
}

namespace {

class UvChildProcess final : public OwnChildProcess {
 public:
  UvChildProcess(uv_loop_t* loop, ExitCallback on_exit)
      : OwnChildProcess(loop, std::move(on_exit)), loop_(loop) {}

  ~UvChildProcess() override {
    exit_watch_.reset();
    process_.Close();
    if (spawned_) KillAndSweep();
  }

  absl::Status Spawn(uv_process_options_t& options) {
    options.exit_cb = OnExit;
    // Forked on the launcher thread, whose exit is the process's: the
    // helper's parent-death signal follows the forking thread. uv_spawn
    // returns after the exec (and closes what it failed to start), and this
    // thread waits for it as before.
    absl::StatusOr<ipc::UvHandle<uv_process_t>> process;
    RunOnLauncherThread(
        [&] { process = ipc::UvHandle<uv_process_t>::Spawn(loop_, options); });
    if (!process.ok()) return process.status();
    process_ = *std::move(process);
    process_->data = this;
    spawned_ = true;
    set_pid(process_->pid);
    // Where there is one, the quicker way, and then the only one: libuv
    // forgets the child at once. Its SIGCHLD handler then no longer
    // interrupts the loop when a helper dies (nor waitpids every helper on
    // each SIGCHLD), and cannot reap a pid of ours the watch has reaped and
    // the kernel has reused. Elsewhere libuv's exit callback reports it.
    exit_watch_ = WatchChildExit(
        loop_, pid(),
        [this](int64_t status, int signal) { Reaped(status, signal); });
    if (exit_watch_ != nullptr) process_.Close();
    return absl::OkStatus();
  }

 private:
  static void OnExit(uv_process_t* process, int64_t status, int signal) {
    auto* self = static_cast<UvChildProcess*>(process->data);
    if (self != nullptr) self->Reaped(status, signal);
  }

  uv_loop_t* const loop_;  // Not owned.
  // From a successful Spawn until the exit watch takes over.
  ipc::UvHandle<uv_process_t> process_;
  std::unique_ptr<ExitWatch> exit_watch_;  // Null where there is none.
  bool spawned_ = false;
};

}  // namespace

absl::StatusOr<SpawnStart> SpawnedAtOnce(
    absl::StatusOr<std::unique_ptr<ChildProcess>> child) {
  if (!child.ok()) return child.status();
  SpawnStart start;
  start.child = *std::move(child);
  return start;
}

absl::StatusOr<SpawnStart> SpawnHelper(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit, ZygoteHost* zygote,
    SpawnedCallback on_spawned,
    std::shared_ptr<SandboxZygotes> sandbox_zygotes) {
  if (options.sandboxed) {
    return StartSandboxedSpawn(loop, options, stdio, std::move(on_exit),
                               std::move(on_spawned),
                               std::move(sandbox_zygotes));
  }
  std::string executable = options.executable;
  if (executable.empty()) {
    absl::StatusOr<std::string> self = CurrentExecutablePath();
    if (!self.ok()) return self.status();
    executable = *std::move(self);
  }
  const bool with_crash_pipe = stdio.crash_pipe != nullptr;
  const bool with_handles = stdio.handle_socket >= 0;
  std::vector<std::string> args = HelperCommandLine(
      executable, options, with_crash_pipe ? kHelperCrashFd : -1,
      with_handles ? kHelperHandleFd : -1, stdio.handles_brokered);
  std::vector<std::string> environment =
      HelperEnvironment(options.environment, /*sandboxed=*/false);
  if (zygote != nullptr && zygote->alive() &&
      zygote->executable() == executable) {
    absl::StatusOr<std::unique_ptr<ChildProcess>> forked =
        zygote->Spawn(loop, args, environment, stdio, on_exit);
    if (!absl::IsUnavailable(forked.status())) {
      return SpawnedAtOnce(std::move(forked));
    }
    BH_LOG(kInfo, "exec'ing ", options.role, ": ", forked.status().message());
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(environment.size() + 1);
  for (std::string& variable : environment) envp.push_back(variable.data());
  envp.push_back(nullptr);

  uv_stdio_container_t child_stdio[kHelperHandleFd + 1];
  child_stdio[0].flags = UV_IGNORE;
  if (stdio.stdout_pipe != nullptr) {
    child_stdio[1].flags =
        static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    child_stdio[1].data.stream =
        reinterpret_cast<uv_stream_t*>(stdio.stdout_pipe);
  } else {
    child_stdio[1].flags = UV_INHERIT_FD;
    child_stdio[1].data.fd = 1;
  }
  if (stdio.stderr_pipe != nullptr) {
    child_stdio[2].flags =
        static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    child_stdio[2].data.stream =
        reinterpret_cast<uv_stream_t*>(stdio.stderr_pipe);
  } else {
    child_stdio[2].flags = UV_INHERIT_FD;
    child_stdio[2].data.fd = 2;
  }
  // A bidirectional pipe (a socketpair on Unix), as Node.js sets up its IPC
  // channel. Note: UV_READABLE/UV_WRITABLE are poll flags and make uv_spawn
  // fail on Windows.
  child_stdio[kHelperChannelFd].flags = static_cast<uv_stdio_flags>(
      UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
  child_stdio[kHelperChannelFd].data.stream =
      reinterpret_cast<uv_stream_t*>(stdio.channel);

  if (with_crash_pipe) {
    child_stdio[kHelperCrashFd].flags =
        static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    child_stdio[kHelperCrashFd].data.stream =
        reinterpret_cast<uv_stream_t*>(stdio.crash_pipe);
  } else {
    child_stdio[kHelperCrashFd].flags = UV_IGNORE;
  }
  if (with_handles) {
    child_stdio[kHelperHandleFd].flags = UV_INHERIT_FD;
    child_stdio[kHelperHandleFd].data.fd = stdio.handle_socket;
  }

  uv_process_options_t spawn = {};
  spawn.file = argv[0];
  spawn.args = argv.data();
  spawn.env = envp.data();
  spawn.stdio_count = with_handles      ? kHelperHandleFd + 1
                      : with_crash_pipe ? kHelperCrashFd + 1
                                        : kHelperChannelFd + 1;
  spawn.flags = PlatformSpawnFlags();
  spawn.stdio = child_stdio;
  auto child = std::make_unique<UvChildProcess>(loop, std::move(on_exit));
  if (absl::Status spawned = child->Spawn(spawn); !spawned.ok()) return spawned;
  return SpawnedAtOnce(std::move(child));
}

}  // namespace bulkhead
