// Starts a helper process: this binary (or `executable`) again, in a role, with
// the helper's end of the channel at fd 3.
#ifndef BULKHEAD_HOST_LAUNCH_LAUNCHER_H_
#define BULKHEAD_HOST_LAUNCH_LAUNCHER_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "common/platform_handle.h"
#include "host/launch/launch_options.h"
#include "host/launch/launcher_thread.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

// The helper's fd numbers for its end of the channel, its crash pipe and
// (POSIX) its end of the channel's handle transport.
inline constexpr int kHelperChannelFd = 3;
inline constexpr int kHelperCrashFd = 4;
inline constexpr int kHelperHandleFd = 5;

// The path of the running executable.
absl::StatusOr<std::string> CurrentExecutablePath();

// The helper's full argv: `<exe> --type=<role> --ipc-fd=3 --helper-id=<id>
// <extra_args...>`.
// With `crash_fd` >= 0, also `--crash-fd=<crash_fd>`; with `handle_fd` >= 0,
// `--handle-fd=<handle_fd>`; with `handles_brokered`, `--handles-brokered`;
// with a memory limit, `--memory-limit=<bytes>`.
std::vector<std::string> HelperCommandLine(const std::string& executable,
                                           const LaunchOptions& options,
                                           int crash_fd = -1,
                                           int handle_fd = -1,
                                           bool handles_brokered = false);

// A child process the host launched: its pid, a way to signal it, and one
// exit notification on the loop. Launchers for other sandboxes (Windows
// restricted token + job, Linux namespaces) return the same interface.
class ChildProcess {
 public:
  // Runs once, on the loop thread, when the child has ended and been reaped.
  // On Windows `exit_status` is the process exit code (an NTSTATUS for an
  // unhandled exception). May destroy the ChildProcess.
  using ExitCallback =
      absl::AnyInvocable<void(int64_t exit_status, int term_signal)>;

  // A child still running is killed and reaped; the exit callback never runs.
  virtual ~ChildProcess() = default;

  virtual int64_t pid() const = 0;
  // Sends `signal` (SIGTERM, SIGKILL, ...; on Windows both terminate). OK when
  // it reached the child while it ran. FailedPrecondition when the child had
  // already ended (reaped, or dead and waiting to be where the platform can
  // tell): the signal cannot be what ended it, and once reaped its pid may
  // name another process.
  virtual absl::Status Signal(int signal) = 0;

  // Linux sandbox: the helper's cgroup as the helper sees it in
  // /proc/self/cgroup ("" when it has none), and what it limits or why there
  // is none.
  virtual std::string cgroup_path() const { return ""; }
  virtual std::string cgroup_description() const { return ""; }
  // True when the kernel's OOM killer ended it at its cgroup's memory limit.
  virtual bool killed_for_memory() const { return false; }
  // True when a zygote forked it (Linux) rather than it being exec'd.
  virtual bool forked() const { return false; }
};

// A child this process started itself and reaps: UvChildProcess (launcher.cc)
// and a zygote-forked helper (zygote_host_linux.cc). It signals the child's
// process tree until the child is reaped, then sweeps what the child left and
// runs the exit callback once.
class OwnChildProcess : public ChildProcess {
 public:
  ~OwnChildProcess() override;

  int64_t pid() const override { return pid_; }
  // A signal that ends the child (SIGTERM, SIGKILL) goes once what it started
  // has been killed (KillHelperDescendants), which the loop does in steps of
  // a few milliseconds, for up to kDescendantSweepDeadline; the child stays
  // stopped meanwhile. Other signals go at once.
  absl::Status Signal(int signal) override;

  // How long what an ending child started may take to die before the child
  // is signalled anyway.
  static constexpr int kDescendantSweepDeadlineMs = 10000;
  // How long each step of that sweep may hold the loop.
  static constexpr int kDescendantSweepStepMs = 10;

 protected:
  // `loop` runs the sweep's steps; not owned.
  explicit OwnChildProcess(uv_loop_t* loop, ExitCallback on_exit = nullptr)
      : loop_(loop), on_exit_(std::move(on_exit)) {}

  void set_pid(int64_t pid) { pid_ = pid; }
  void set_on_exit(ExitCallback on_exit) { on_exit_ = std::move(on_exit); }
  // The child's exit news (any source; the first wins). May destroy `this`.
  void Reaped(int64_t status, int signal);
  // For destructors: a child still running is killed and reaped; what it
  // started is swept either way.
  void KillAndSweep();

 private:
  static void OnSweepStep(uv_timer_t* timer);
  // One step of the sweep; once it is done (or its deadline has passed),
  // sends the pending signal.
  void SweepStep();

  uv_loop_t* const loop_;
  int64_t pid_ = 0;
  bool reaped_ = false;
  // While a sweep runs: its timer, the signal to send once it is done, and
  // when it gives up waiting.
  ipc::UvHandle<uv_timer_t> sweep_timer_;
  int pending_signal_ = 0;
  uint64_t sweep_deadline_ms_ = 0;
  // Where termination leaves an exit code: the signal whose termination
  // reached the running child.
  int terminated_by_ = 0;
  ExitCallback on_exit_;
};

// Where the helper's standard streams go besides the channel.
struct ChildStdio {
  // Initialised, unconnected pipe: becomes the host's end of the channel (fd 3
  // in the helper).
  uv_pipe_t* channel = nullptr;
  // Initialised, unconnected pipes for the helper's stdout and stderr; null
  // shares the host's.
  uv_pipe_t* stdout_pipe = nullptr;
  uv_pipe_t* stderr_pipe = nullptr;
  // Initialised, unconnected pipe the helper's crash handler writes its
  // CrashRecord to (fd 4 in the helper); null for none.
  uv_pipe_t* crash_pipe = nullptr;
  // POSIX: the helper's end of the channel's handle transport (fd 5 in the
  // helper), duplicated into it; -1 for none.
  int handle_socket = -1;
  // Windows: the host will duplicate handles into and out of the helper,
  // which is told so (--handles-brokered).
  bool handles_brokered = false;
};

class ZygoteHost;
class SandboxZygotes;

// How a spawn that finishes later ends: the child, or why there is none.
using SpawnedCallback =
    absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<ChildProcess>>)>;

// A spawn as it starts: exactly one of the two is set.
struct SpawnStart {
  // Spawned already (exec'd, forked by the zygote, Windows' sandbox).
  std::unique_ptr<ChildProcess> child;
  // Still on its way (Linux sandboxed: the clone and the wait for the exec
  // run on the launcher thread). Its `on_spawned` runs once on the loop
  // thread, unless this is destroyed first: that cancels the launch, and a
  // child it started is killed and reaped.
  std::unique_ptr<PendingLaunch> pending;
};

// A spawn that is over at once, as a SpawnStart.
absl::StatusOr<SpawnStart> SpawnedAtOnce(
    absl::StatusOr<std::unique_ptr<ChildProcess>> child);

// Spawns the helper: with uv_spawn (stdin is /dev/null; stdout and stderr as
// `stdio` says), or, when `options.sandboxed`, through StartSandboxedSpawn.
// With a live `zygote` (zygote_host.h), an unsandboxed helper of the
// zygote's executable is forked by it instead, and exec'd only when the
// zygote cannot; with `sandbox_zygotes` (may be null), a sandboxed one is
// forked by its shape's zygote (sandbox_zygote.h). An error means nothing
// was started (`on_spawned` never runs); `on_spawned` is for a
// `SpawnStart::pending` only. `stdio`'s pipes must outlive a pending spawn;
// its `handle_socket` need not.
absl::StatusOr<SpawnStart> SpawnHelper(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit, ZygoteHost* zygote,
    SpawnedCallback on_spawned,
    std::shared_ptr<SandboxZygotes> sandbox_zygotes = nullptr);

// Platform parts (launcher_posix.cc / launcher_win.cc).

// uv_spawn flags: on POSIX each helper leads a process group of its own, so
// that the host can signal everything it started.
unsigned int PlatformSpawnFlags();

// The channel's handle transport for a new helper (ipc/handle_transport.h).
// POSIX: a socket pair; `helper` stays open until the spawn has duplicated it
// as the helper's fd `helper_fd` (ChildStdio::handle_socket). Windows: no
// sockets, `brokered` (ChildStdio::handles_brokered).
struct HandleTransportEnds {
  ScopedHandle host;
  ScopedHandle helper;
  int helper_fd = -1;
  bool brokered = false;
};
absl::StatusOr<HandleTransportEnds> CreateHandleTransportEnds();
// Once the helper `pid` runs: the host's end for Channel::SetHandleTransport.
// POSIX: `ends.host`; Windows: the helper's process, opened for duplicating
// handles.
absl::StatusOr<ScopedHandle> TakeHostTransportEnd(HandleTransportEnds& ends,
                                                  int64_t pid);

// Sends `signal` to the helper `pid` and, where processes form groups, to
// everything in its group; continues a helper that KillHelperDescendants
// stopped when `signal` is SIGTERM. Windows: FailedPrecondition when it had
// ended.
absl::Status SignalProcessTree(int64_t pid, int signal);

// Before the host ends the helper `pid`, its child and not yet reaped: stops
// it and kills everything it started, also what left its process group
// (Linux: an unsandboxed helper is a child subreaper, so all its descendants
// are its children by then; helper/descendant_sweep.h), but its sweeper,
// which ends with it. Spends at most `budget_ms` and says whether it is done:
// false while some are still dying (or still forking); call it again (the
// helper stays stopped meanwhile). Elsewhere a no-op that is done at once.
bool KillHelperDescendants(int64_t pid, int budget_ms);

// Whether the child `pid` of this process has ended and waits to be reaped
// (POSIX: waitid with WNOWAIT, which leaves it to its reaper; Windows: its
// process handle). False while it runs, and where the platform cannot tell.
bool ChildHasEnded(int64_t pid);

// Whether SignalProcessTree ends a child with an exit code rather than a
// signal (Windows' TerminateProcess): OwnChildProcess then reports the signal
// that ended it, as libuv's uv_process_kill does.
bool TerminationLeavesExitCode();

// After the helper `pid` was reaped: kills whatever it started that is still
// alive (a fork bomb's children). Its group id cannot be reused while any
// member lives, so this reaches only the helper's own descendants.
void SweepProcessTree(int64_t pid);

// Kills and reaps what helpers' ends left to reap later on `loop` (Linux:
// sandbox inits, init_reaper_linux.h), waiting for each: for the end of the
// host that runs the loop, once it has killed its helpers. Elsewhere a no-op.
void FinishPendingReaps(uv_loop_t* loop);

// Kills a still-running child (what it started, and its group) with the
// strongest signal and waits for it, for destructors that cannot wait for the
// loop. libuv must no longer be watching the pid (its handle closed).
void KillAndReapNow(int64_t pid);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_LAUNCHER_H_
