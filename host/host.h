// The host side of bulkhead: an event loop (its own, or one the app owns) and
// the helpers launched on it.
//
//   bulkhead::Host::Options options;
//   options.roles = &roles;
//   auto host = bulkhead::Host::Create(options);
//   (*host)->Launch("renderer", [](auto helper) { ... });
//   (*host)->Run();  // Or StartThread(), then Post() from the app's thread.
//
// Threads: the host belongs to the thread that runs its loop (the loop
// thread). Every member except `Post` (and, from the app's thread, the
// `StartThread`/`StopThread` pair and the destructor) must be called on it,
// and every callback (on_ready, the event handlers, call completions, posted
// tasks) runs on it. `Post` may be called from any thread while the host
// exists: stop or join the posting threads before destroying it. Debug builds
// abort when a member is called on another thread (the host's, its helpers'
// and their channels': common/loop_thread_checker.h).
//
// Three ways to run the loop:
//  - `Run()` on the app's thread, which is then the loop thread until `Quit()`.
//  - `StartThread()`: a thread the host owns runs its loop. The app's thread
//    then talks to the host only through `Post` (tasks run on the host's
//    thread and may call any member), and hears back from callbacks that run
//    on the host's thread (hand results over with a promise, a queue, ...).
//    Set handlers (and launch) before `StartThread()`, afterwards only in
//    posted tasks. `StopThread()` (or the destructor), from the app's
//    thread, runs the tasks already posted, stops the loop and joins the
//    thread; the app's thread is the loop thread again. Destroying the host
//    from the app's thread this way kills and reaps its helpers. Never call
//    `StopThread()` or destroy the host from the host's own thread. `Quit()`
//    there ends the thread's loop early; tasks posted after it wait until the
//    loop runs again.
//  - An app-owned loop (`Options::loop`), below.
//
// An app-owned loop (`Options::loop`): the app creates the loop, runs it
// itself (`uv_run`, or `Run()`), and closes it; the host only adds its handles
// to it. While the host exists it keeps the loop alive (its `Post` wakeup is an
// active handle), so end `uv_run` with `uv_stop` (or `Quit()`). Create, use and
// destroy the host on the thread that runs that loop, and destroy it outside
// the host's own callbacks (e.g. after `uv_run` returned, or from a callback of
// the app's own handle). Destroying it kills and reaps its helpers at once and
// closes its handles, whose memory is freed by their close callbacks when the
// app next runs the loop: run it once more (`uv_run(loop, UV_RUN_DEFAULT)`
// returns when nothing else is active) before `uv_loop_close`.
#ifndef BULKHEAD_HOST_HOST_H_
#define BULKHEAD_HOST_HOST_H_

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "common/loop_thread_checker.h"
#include "common/platform_handle.h"
#include "helper/role_registry.h"
#include "host/exit_info.h"
#include "host/helper_process.h"
#include "host/launch/launch_options.h"
#include "host/restart_policy.h"
#include "ipc/deferred_tasks.h"
#include "ipc/uv_handle.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {

class FdBudget;          // Internal (fd_budget.h).
class RestartScheduler;  // Internal (restart_scheduler.h).
class ZygoteHost;        // Internal (zygote_host.h).
class SandboxZygotes;    // Internal (sandbox_zygote.h).

class BULKHEAD_EXPORT Host {
 public:
  // Settings of one role that differ from Options' host-wide ones.
  struct RoleOptions {
    std::optional<bool> sandbox_helpers;
    std::optional<uint64_t> memory_limit_bytes;
    std::optional<Heartbeat::Options> heartbeat;
    // Overrides Options::default_restart_policy for this role.
    std::optional<RestartPolicy> restart_policy;
  };

  // Settings of one launch that win over Options and role_options for that
  // helper alone (and for the helpers that replace it when it is restarted).
  struct LaunchOverrides {
    // Inside the platform's sandbox or not.
    std::optional<bool> sandboxed;
    // The policy when sandboxed, instead of Options::sandbox_policy_for_role.
    std::optional<sandbox::SandboxPolicy> sandbox_policy;
    // 0 for none.
    std::optional<uint64_t> memory_limit_bytes;
    std::optional<Heartbeat::Options> heartbeat;
    // Appended after Options::helper_args.
    std::vector<std::string> extra_args;
    // Added to the role's policy's environment (sandbox::SandboxPolicy::
    // environment, same syntax: "NAME=value" or "NAME"), winning over it. The
    // helper gets nothing else of the host's environment but what its
    // runtime needs (host/launch/helper_environment.h), sandboxed or not.
    std::vector<std::string> environment;
    // False: never restarted, whatever the role's restart policy (for helpers
    // the app restarts itself, e.g. through a Supervisor).
    bool restart = true;
    // Files (any fd or HANDLE the app has: a file, a pipe, a socket, shared
    // memory), not owned: Launch duplicates each at once, so the app may
    // close its own afterwards, and the helper takes its copy by name
    // (HelperContext::TakeFile), which survives the lockdown. Launch fails
    // for an invalid handle, a name the policy's PreOpen also gives, a
    // directory for a sandboxed helper, or more than 62 files in all. For
    // this launch only: a restart of the helper starts without them (the
    // host keeps none of the app's handles).
    std::map<std::string, NativeHandle> files;
  };

  struct Options {
    // The event loop to run on: one the app owns, runs and closes (not owned;
    // must outlive the host, see the threading rules above), or nullptr for a
    // loop of the host's own, which `Run()` runs and the destructor closes.
    uv_loop_t* loop = nullptr;
    // The roles helpers may be launched in; when set, Launch refuses other
    // names up front. Not owned; must outlive the host.
    const RoleRegistry* roles = nullptr;
    // The helper binary; empty means this executable ("same binary, many
    // roles").
    std::string executable;
    // Extra arguments for every helper, after bulkhead's own switches.
    std::vector<std::string> helper_args;
    absl::Duration handshake_timeout = absl::Seconds(10);
    uint32_t max_frame_size = ipc::kDefaultMaxFrameSize;
    // The channel to each helper: its send queue's limit and its shared-memory
    // limits (the size past which a message travels in shared memory, the
    // largest such message, the bytes in flight, the idle bytes kept; see
    // ipc::Channel::Options). Its frame limit is `max_frame_size`, and a
    // host's channel never trusts a helper's shared memory
    // (`trust_peer_shared_memory` is ignored).
    ipc::Channel::Options channel;
    // Liveness (Ping every interval, kHung after the timeout) and flood
    // checks for every ready helper.
    Heartbeat::Options heartbeat;
    // Each helper's memory limit in bytes; 0 for none. A helper that hits it
    // ends as kOutOfMemory.
    uint64_t memory_limit_bytes = 0;
    // Copy helpers' stdout and stderr lines to the host's, with a prefix and
    // control characters escaped (PrintableText, common/utf8.h). A
    // thread writes them, so that a host whose output is read slowly (or not
    // at all) never waits for it: past 1 MiB queued per stream, lines are
    // dropped (HelperProcess::output_lines_dropped) and the stream says so.
    bool forward_helper_output = true;
    // Launch helpers inside the platform's sandbox (sandboxed_launcher.h): on
    // by default where one exists, per the role's policy (Linux: namespaces,
    // lockdown, seccomp; Windows: a restricted token at the role's level, a
    // job, an alternate desktop; macOS: a seatbelt profile, unverified);
    // elsewhere (the generic POSIX build) helpers are ordinary child
    // processes.
    bool sandbox_helpers = SandboxedLaunchAvailable();
    // The sandbox policy for a role's helpers (Linux: namespaces, lockdown
    // and seccomp; see sandbox/sandbox_policy.h). Null: the built-in presets,
    // sandbox::PresetForRole.
    std::function<sandbox::SandboxPolicy(absl::string_view role)>
        sandbox_policy_for_role;
    // Linux: fork unsandboxed helpers from a zygote (helper/zygote.h), started
    // at the first such launch, instead of exec'ing each one. They start
    // sooner, and their deaths reach the host sooner (a forked process tears
    // down faster). Where there is no zygote (other platforms, ThreadSanitizer
    // builds) or it fails, helpers are exec'd, as with false.
    bool fork_helpers_from_zygote = true;
    // Linux: fork sandboxed helpers from a zygote per sandbox shape (its
    // namespaces), started inside them at the first launch of that shape,
    // instead of exec'ing each into new namespaces. The child applies the
    // rest of its policy itself after the fork, as an exec'd helper does.
    // A zygote that fails or lies is given up, and its shape's helpers are
    // exec'd, as with false. Default: ForkSandboxedHelpersByDefault().
    bool fork_sandboxed_helpers = ForkSandboxedHelpersByDefault();
    // Restarts for helpers that end: when set (here or in the role's
    // RoleOptions), a helper launched by `Launch` that ends is replaced by a
    // new one (a new id, the same role and overrides) as the policy says
    // (backoff, intensity limit), and past the intensity limit the role is
    // failed (`SetRoleFailedHandler`). Unset: helpers stay ended.
    // `Shutdown`, `HelperProcess::Stop` and the destructor never cause a
    // restart; `HelperProcess::Kill` does under kOnFailure and kAlways.
    std::optional<RestartPolicy> default_restart_policy;
    // Per-role overrides of the above, by role name.
    std::map<std::string, RoleOptions, std::less<>> role_options;
    // When a role fails (past its restart policy's intensity limit), the
    // host calls `Quit()` on the next turn of the loop, after the role-failed
    // handler and the watches (`WatchRoleFailed`) ran and the completions
    // they decided (a HelperPool's failed tasks) have run: `Run()` returns
    // (and so does the loop of the host's thread, or the app's `uv_run`), and
    // `role_failed(role)` says which role. For an app with nothing left to do
    // once a role it depends on has failed. Helpers still running are the
    // app's to stop or destroy. False: the loop runs on (the app's handler
    // may still call `Quit()`).
    bool quit_when_role_fails = false;
    // POSIX: `Create` raises the process's soft limit on open descriptors
    // (RLIMIT_NOFILE) to the hard limit (at most common/fd_limit.h's
    // kMaxRaisedFdLimit), which helpers inherit unless their sandbox policy
    // sets one, and logs (info) what it did. Each helper costs the host
    // several descriptors, and each large message one more while it is in
    // flight: with the limit raised or not, `Launch` refuses a helper that
    // would not fit (ResourceExhausted naming the limit and how many helpers
    // it fits; host/fd_budget.h) instead of failing later with EMFILE.
    bool raise_fd_limit = true;
  };

  static absl::StatusOr<std::unique_ptr<Host>> Create(Options options);
  // Stops the host's thread if it runs one (see StopThread). Kills (SIGKILL)
  // and reaps every helper still running; no exit handler runs. Waits up to
  // half a second for helpers' forwarded output to be written. Pending calls
  // to them complete with CANCELLED, on the destroying thread. Cancels pending
  // restarts. Closes the host's own loop; an app's loop is left open (see
  // above).
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // The loop (Options::loop or the host's own), for an app that adds its own
  // libuv handles.
  uv_loop_t* loop() { return loop_; }

  // Launches a helper in `role`. Returns the helper (owned by the host) or why
  // it could not be spawned; then `on_ready` does not run. Otherwise `on_ready`
  // runs once, with the helper when it reported Ready, or with the reason it
  // ended first. A sandboxed launch on Linux finishes after this returns (its
  // clone and exec run on a launcher thread, not the loop): until then the
  // helper's pid is 0, a spawn that fails ends it as kLaunchFailed, and a
  // Stop, Kill, Shutdown or destruction meanwhile calls the launch off.
  absl::StatusOr<HelperProcess*> Launch(
      absl::string_view role,
      absl::AnyInvocable<void(absl::StatusOr<HelperProcess*>)> on_ready);
  // The same, with settings for this one helper that win over Options and
  // role_options.
  absl::StatusOr<HelperProcess*> Launch(
      absl::string_view role, LaunchOverrides overrides,
      absl::AnyInvocable<void(absl::StatusOr<HelperProcess*>)> on_ready);

  // OK when helpers of `role` can be launched: a valid name, and known to
  // Options::roles when that is set (NotFound, naming the roles it knows,
  // when not).
  absl::Status CheckRole(absl::string_view role) const;

  // Host events. Each handler runs on the loop thread; setting one replaces
  // the previous (nullptr for none).
  //
  // Every helper that reported Ready, launched by the app or restarted by the
  // host (after the launch's own `on_ready`).
  void SetHelperStartedHandler(
      absl::AnyInvocable<void(HelperProcess& helper)> handler);
  // Runs for every helper that ends, after which the host forgets it; a
  // restart, when its policy calls for one, is scheduled just after. A
  // restart that cannot be spawned is reported here too (kLaunchFailed).
  void SetExitHandler(absl::AnyInvocable<void(const ExitInfo&)> handler);
  // Runs `on_exit` once when the helper `helper_id` ends, just after the exit
  // handler, for parts that follow their own helpers without taking the exit
  // handler over (HelperPool). Replaces an earlier watch of that helper;
  // nullptr removes it. Nothing when no such helper runs. Dropped without
  // running when the host is destroyed.
  void WatchExit(uint64_t helper_id,
                 absl::AnyInvocable<void(const ExitInfo&)> on_exit);
  // A role went past its restart policy's intensity limit: its helpers are no
  // longer restarted (`Launch` still starts new ones), the pools of that role
  // fail their queued and new tasks (HelperPool), and with
  // Options::quit_when_role_fails the loop quits. Runs once per role.
  void SetRoleFailedHandler(
      absl::AnyInvocable<void(const std::string& role, const std::string& why)>
          handler);
  // Runs `on_failed` once, just after the role-failed handler, when `role`
  // fails, for parts that follow a role without taking that handler over
  // (HelperPool). Returns the watch's id for `UnwatchRoleFailed`; a watch may
  // remove itself or others while it runs. Nothing when the role has failed
  // already (`role_failed` says so). Dropped without running when the host
  // is destroyed.
  uint64_t WatchRoleFailed(
      absl::string_view role,
      absl::AnyInvocable<void(const std::string& why)> on_failed);
  void UnwatchRoleFailed(uint64_t watch);
  // For parts that launch and replace their own helpers
  // (LaunchOverrides::restart false: HelperPool): counts `exit`, an end they
  // did not cause (a crash, an exit before Ready, a launch that could not
  // spawn), against the restart policy of `exit.role` as if the host had
  // restarted the helper, so that a role whose helpers cannot start fails
  // (the handler, the watches) whoever launches them. Schedules nothing; the
  // caller relaunches on its own terms. Nothing when the role has no restart
  // policy (Options::default_restart_policy, RoleOptions::restart_policy) or
  // the host is shutting down.
  void CountAgainstRestartPolicy(const ExitInfo& exit);

  // Every helper's lifecycle, stage by stage (see LifecycleStage): once each,
  // in order, whatever races between channel end-of-stream, process exit and
  // kills. A helper that could not even be spawned gets kLaunching and then
  // kExited (kLaunchFailed); one whose launch was called off before it was
  // spawned, kLaunching, kExiting and kExited.
  void SetLifecycleHandler(
      absl::AnyInvocable<void(const LifecycleEvent&)> handler);

  // Helpers not yet reaped, by id (launch order).
  std::vector<HelperProcess*> helpers() const;
  HelperProcess* FindHelper(uint64_t id) const;
  // By "<role>-<id>" or, when only one helper has that role, by the role alone.
  HelperProcess* FindHelper(absl::string_view name) const;

  // Restarts of `role`'s helpers so far (those counted by
  // `CountAgainstRestartPolicy` included), and whether the role has failed.
  int restarts(absl::string_view role) const;
  bool role_failed(absl::string_view role) const;

  // How each role's helpers have ended so far (every helper reaped, launch
  // failures included), by role: a count per kind and the last one's
  // ExitInfo. For snapshots (host/host_snapshot.h).
  struct RoleExits {
    std::map<ExitKind, uint64_t> by_kind;
    ExitInfo last;
  };
  const std::map<std::string, RoleExits, std::less<>>& role_exits() const {
    return role_exits_;
  }

  // Stops every helper (Shutdown, then SIGTERM after `grace`, then SIGKILL
  // after another `grace`), cancels pending restarts, and runs `done` once all
  // have been reaped: never inside this call, even with no helper (then on
  // the next turn of the loop); never when the host is destroyed first.
  void Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done);

  // Runs the loop until Quit(). Optional with an app-owned loop, which the app
  // may run itself instead. Not while the host's thread runs.
  void Run();
  // Runs the loop on a thread the host owns (see the threading rules above),
  // until `StopThread`, the destructor, or `Quit()`. FailedPrecondition with
  // an app-owned loop or when the thread already runs. Call from the thread
  // that created the host, while nothing runs the loop.
  absl::Status StartThread();
  // From the thread that called `StartThread`: runs the tasks posted so far,
  // stops the loop and joins the host's thread. Helpers keep running: they
  // are forked on a launcher thread that lasts as long as the process, so
  // they die with the host's process, never with the host's thread. Nothing
  // when no thread runs.
  void StopThread();
  // Makes Run() return after the current callback.
  void Quit();
  // Runs `task` on the loop thread, in the order posted. Thread-safe (see the
  // threading rules above); tasks still queued when destruction begins are
  // dropped without running.
  void Post(absl::AnyInvocable<void()> task);

 private:
  explicit Host(Options options);

  void OnHelperExit(uint64_t id, const ExitInfo& info);
  // Adds `info` to role_exits_.
  void CountExit(const ExitInfo& info);
  void RunPostedTasks();
  // The loop changes threads (StartThread, StopThread): the debug checks of
  // the host and its helpers bind anew.
  void DetachFromLoopThread();
  // Runs the loop until Quit(): Run() and the host's thread.
  void RunLoop();
  void MaybeFinishShutdown();
  // The policy for `role`'s helpers; null when they are not restarted.
  const RestartPolicy* RestartPolicyFor(absl::string_view role) const;
  // After `exit`: schedules a restart with `overrides`, or fails the role.
  void MaybeRestart(const ExitInfo& exit, LaunchOverrides overrides);
  void Restart(const std::string& role, LaunchOverrides overrides);
  // The role went past its intensity limit: the handler, the watches, and
  // Options::quit_when_role_fails.
  void OnRoleFailed(const std::string& role, const std::string& why);
  // The zygote for unsandboxed helpers, started on first use; null when
  // there is none (off, unavailable, failed).
  ZygoteHost* Zygote();

  const Options options_;
  uv_loop_t own_loop_;     // Used when Options::loop is null.
  uv_loop_t* const loop_;  // &own_loop_ or Options::loop (not owned).
  ipc::UvHandle<uv_async_t> wakeup_;  // Set by Create.
  // What must not run inside the call that asked for it (Shutdown's `done`).
  std::unique_ptr<ipc::DeferredTasks> deferred_;
  uint64_t next_helper_id_ = 1;
  std::map<uint64_t, std::unique_ptr<HelperProcess>> helpers_;
  std::unique_ptr<ZygoteHost> zygote_;
  // Sandboxed helpers' zygotes, one per shape; null when they are not forked.
  std::shared_ptr<SandboxZygotes> sandbox_zygotes_;
  // What the descriptor limit leaves room for (Launch refuses past it).
  std::unique_ptr<FdBudget> fd_budget_;
  bool zygote_tried_ = false;
  absl::AnyInvocable<void(const ExitInfo&)> exit_handler_;
  // WatchExit's, by helper id.
  std::map<uint64_t, absl::AnyInvocable<void(const ExitInfo&)>> exit_watches_;
  absl::AnyInvocable<void(const LifecycleEvent&)> lifecycle_handler_;
  absl::AnyInvocable<void(HelperProcess&)> started_handler_;
  absl::AnyInvocable<void(const std::string&, const std::string&)>
      role_failed_handler_;
  // WatchRoleFailed's, by id: the role and the callback.
  struct RoleFailedWatch {
    std::string role;
    absl::AnyInvocable<void(const std::string& why)> on_failed;
  };
  std::map<uint64_t, RoleFailedWatch> role_failed_watches_;
  uint64_t next_role_failed_watch_ = 1;
  std::map<std::string, RoleExits, std::less<>> role_exits_;

  // Restarts (host_restart.cc). Helpers under a restart policy, with the
  // overrides their replacement gets, by id.
  std::map<uint64_t, LaunchOverrides> restartable_;
  // Decides and schedules them; stopped by Shutdown and the destructor.
  std::unique_ptr<RestartScheduler> restarts_;

  // The host's own loop thread (host_thread.cc); touched only by the thread
  // that starts and stops it.
  std::thread thread_;
  absl::AnyInvocable<void()> shutdown_done_;
  bool shutting_down_ = false;
  bool quit_ = false;

  // std::mutex, not absl::Mutex: ThreadSanitizer must see this lock, and it
  // sees through the C++ library's but not through a prebuilt Abseil's.
  std::mutex posted_mutex_;  // Guards the three below.
  std::vector<absl::AnyInvocable<void()>> posted_;
  bool accepting_posts_ = true;
  bool stop_thread_ = false;  // StopThread: Quit() after the posted tasks.

  LoopThreadChecker loop_thread_{"Host"};
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_HOST_H_
