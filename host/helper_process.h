// One running helper as the host sees it: the process, its channel, its
// lifecycle.
//
// Lifecycle: kStarting (spawned, handshake in progress) -> kReady (Ready
// received) -> kStopping (Shutdown sent, or being killed) -> kExited. A helper
// may jump to kExited from any state. Thread: the host's loop thread (checked
// in debug builds).
#ifndef BULKHEAD_HOST_HELPER_PROCESS_H_
#define BULKHEAD_HOST_HELPER_PROCESS_H_

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "common/loop_thread_checker.h"
#include "host/exit_info.h"
#include "host/heartbeat.h"
#include "host/launch/launch_options.h"
#include "ipc/channel.h"
#include "ipc/deferred_tasks.h"
#include "ipc/uv_handle.h"

namespace bulkhead {
namespace ipc {
class OpenFileRequest;
class OpenFileResponse;
}  // namespace ipc

// Internal (launcher.h, helper_output.h, exit_classification.h): held through
// pointers or only declared, so that their headers stay out of the installed
// ones.
class BeatWatch;
class ChildProcess;
class FileBroker;
class HelperOutput;
class PendingLaunch;
struct ExitEvidence;
struct HandleTransportEnds;
struct ProcessEnd;
class ZygoteHost;
class SandboxZygotes;

class BULKHEAD_EXPORT HelperProcess {
 public:
  enum class State { kStarting, kReady, kStopping, kExited };

  struct Options {
    LaunchOptions launch;
    // Hello, Welcome and Ready must all arrive within this, or the helper is
    // killed as kHung.
    absl::Duration handshake_timeout = absl::Seconds(10);
    uint32_t max_frame_size = ipc::kDefaultMaxFrameSize;
    // The channel's other settings (send queue, shared memory); its frame
    // limit is `max_frame_size`, and it never trusts the helper's shared
    // memory (trust_peer_shared_memory is ignored).
    ipc::Channel::Options channel;
    // Copy each line the helper writes to stdout/stderr to the host's, as
    // "[role-id pid] line". The last stderr lines go into ExitInfo either
    // way.
    bool forward_output = true;
    // Liveness and flood checks while the helper is ready.
    Heartbeat::Options heartbeat;
    // Not owned; when set and alive, an unsandboxed helper is forked by it
    // (Host::Options::fork_helpers_from_zygote).
    ZygoteHost* zygote = nullptr;
    // Shared; when set, a sandboxed helper is forked by its shape's zygote
    // (Host::Options::fork_sandboxed_helpers).
    std::shared_ptr<SandboxZygotes> sandbox_zygotes;
    // Files handed to the helper at launch, by name, beside the policy's
    // pre-opened ones (Host::LaunchOverrides::files): the host's own
    // duplicates, sent with the Welcome (HelperContext::TakeFile).
    std::vector<std::pair<std::string, std::shared_ptr<const ScopedHandle>>>
        files;
  };

  struct Callbacks {
    // Runs once: OK when the helper reported Ready, or the reason it never will
    // (it runs before `on_exit` then). Must not destroy the HelperProcess.
    absl::AnyInvocable<void(absl::Status)> on_ready;
    // Runs once, when the process has ended and been reaped. May destroy the
    // HelperProcess.
    absl::AnyInvocable<void(const ExitInfo&)> on_exit;
    // Optional: every lifecycle stage, once each and in order, kExited last
    // (just before `on_exit`). Must not destroy the HelperProcess.
    absl::AnyInvocable<void(const LifecycleEvent&)> on_lifecycle;
  };

  // Spawns the helper. Errors (e.g. the executable is missing) are returned,
  // and then no callback runs.
  static absl::StatusOr<std::unique_ptr<HelperProcess>> Launch(
      uv_loop_t* loop, Options options, Callbacks callbacks);

  // A helper still running is killed (SIGKILL) and reaped; no callback runs.
  ~HelperProcess();
  HelperProcess(const HelperProcess&) = delete;
  HelperProcess& operator=(const HelperProcess&) = delete;

  const std::string& role() const { return options_.launch.role; }
  uint64_t id() const { return options_.launch.helper_id; }
  // "<role>-<id>", as in logs and tables.
  std::string name() const;
  // 0 until spawned (kStarted): a sandboxed launch on Linux finishes later.
  int64_t pid() const { return pid_; }
  State state() const { return state_; }
  absl::Duration uptime() const;
  // Whether it was launched inside the platform's sandbox
  // (LaunchOptions::sandboxed); what is really in force is `sandbox_status`.
  bool sandboxed() const { return options_.launch.sandboxed; }
  // Whether a zygote forked it (Linux: Host::Options::fork_helpers_from_zygote
  // and fork_sandboxed_helpers) rather than it being exec'd; false until
  // spawned, and when a zygote was given up and it was exec'd instead.
  bool forked() const;
  // What the helper's sandbox probe reported in Ready.
  const ipc::SandboxStatus& sandbox_status() const { return sandbox_status_; }
  // What its launch named for its environment (LaunchOptions::environment):
  // the policy's entries, then the launch's.
  const std::vector<std::string>& environment() const {
    return options_.launch.environment;
  }
  // The policy it was launched with (meaningful when sandboxed()).
  const sandbox::SandboxPolicy& sandbox_policy() const {
    return options_.launch.sandbox_policy;
  }
  // For registering handlers and reading counters. Calls should go through
  // `Call`.
  ipc::Channel& channel() { return *channel_; }
  // The file broker (HelperContext::OpenFile, decided by the policy's
  // broker_rules): requests this helper made, those refused
  // (PERMISSION_DENIED: no rule allows them; each is logged, sparingly), and
  // those turned away for coming too fast (RESOURCE_EXHAUSTED). None of them
  // ends the helper.
  uint64_t broker_requests() const { return broker_requests_; }
  uint64_t broker_requests_denied() const { return broker_requests_denied_; }
  uint64_t broker_requests_throttled() const {
    return broker_requests_throttled_;
  }

  // Lines of its stdout and stderr that were not copied to the host's own
  // (Options::forward_output) because the host's output was not read fast
  // enough: dropped rather than let the host's loop wait (output_writer.h).
  uint64_t output_lines_dropped() const;

  // How one call is made.
  struct CallOptions {
    // When `deadline` passes before the answer, kill the helper (it is still
    // working on the call, or stuck), so that the next call does not queue
    // behind this one. Its ExitInfo is then ExitKind::kDeadlineKilled, and the
    // call completes with DEADLINE_EXCEEDED once the helper has been reaped,
    // carrying that ExitInfo (below).
    bool kill_on_deadline = false;
  };

  // A call to the helper; see ipc::Channel::Call. `done` runs exactly once and
  // never inside this call (UNAVAILABLE on a later turn when the helper is
  // not kReady). A call that fails because the helper ended (it crashed, was
  // killed, exited) completes only once that end has been classified, with
  // UNAVAILABLE (DEADLINE_EXCEEDED for kill_on_deadline) and the helper's
  // ExitInfo attached: `ExitInfoFromStatus(status)` (host/exit_info_status.h)
  // reads it back. Such calls complete in deadline order just before
  // `Callbacks::on_exit` (and so before the host's exit handler) runs for that
  // helper. An error the helper's handler returned is marked
  // (`ipc::IsHandlerError`). While the call is in flight and its deadline has
  // not passed, the helper is busy, not hung: the heartbeat does not kill it
  // (heartbeat.h). CANCELLED when this object is destroyed first.
  template <typename Req, typename Resp>
  void Call(const Req& request, absl::Time deadline,
            absl::AnyInvocable<void(absl::StatusOr<Resp>)> done) {
    Call<Req, Resp>(request, deadline, CallOptions(), std::move(done));
  }
  template <typename Req, typename Resp>
  void Call(const Req& request, absl::Time deadline, CallOptions options,
            absl::AnyInvocable<void(absl::StatusOr<Resp>)> done) {
    if (state_ != State::kReady) {
      deferred_.PostCompletion(
          std::move(done), absl::UnavailableError(name() + " is not ready"));
      return;
    }
    const uint64_t call =
        BeginCall(deadline, options, Req::descriptor()->full_name());
    channel_->Call<Req, Resp>(
        request, deadline,
        [this, call,
         done = std::move(done)](absl::StatusOr<Resp> result) mutable {
          // CANCELLED: the channel is being destroyed with this object.
          if (!absl::IsCancelled(result.status()) &&
              EndCall(call, result.status())) {
            HoldUntilExit(result.status(), [done = std::move(done)](
                                               absl::Status status) mutable {
              done(std::move(status));
            });
            return;
          }
          done(std::move(result));
        });
  }

  // Round trip of a Ping through the helper's loop.
  void Ping(absl::Time deadline,
            absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)> done);
  // The round trip of the last answered Ping (this object's Ping: the
  // heartbeat writes none, it watches the Beats the helper sends by itself,
  // host/beat_watch.h).
  // While ready: how long the helper has sent no Beat, once that is past the
  // heartbeat's interval and two grid slots (1.2 x the interval,
  // BeatWatch::Overdue); the helper is then unresponsive, and
  // `last_round_trip` is old news.
  std::optional<absl::Duration> overdue_ping() const;
  std::optional<absl::Duration> last_round_trip() const {
    return last_round_trip_;
  }
  // When its Hello arrived (and the Welcome went back), in uv_hrtime()
  // nanoseconds; 0 before. For tracing the handshake.
  uint64_t hello_hrtime() const { return hello_hrtime_; }

  // A call with one of bulkhead's own control messages when the reply
  // matters: the escape fault's results, learning mode's record.
  // UNAVAILABLE at once when the helper is not ready.
  void CallControl(ipc::Control request, absl::Time deadline,
                   absl::AnyInvocable<void(absl::StatusOr<ipc::Control>)> done);

  // Makes the helper fail on purpose (crash-testing). `done` runs once: OK
  // when the helper acknowledged a fault that keeps it alive, or the error
  // (UNAVAILABLE when the fault ended it, which the exit report describes).
  void InjectFault(ipc::FaultKind kind, int exit_code,
                   absl::AnyInvocable<void(absl::Status)> done);

  // Asks the helper to exit (Shutdown), then after `grace` sends SIGTERM, then
  // after another `grace` SIGKILL. `action` is kStopRequested (the exit is
  // then kStoppedByHost, with `reason` as its detail) or kShutdownRequested
  // (Host::Shutdown: kHostShutdown), as long as the helper exits with code 0
  // or by the host's signal; a crash or another exit code of its own is
  // reported as what it was.
  void Stop(absl::Duration grace, const std::string& reason,
            HostAction action = HostAction::kStopRequested);

  // Kills the helper now; its ExitInfo will be the kind `action` stands for,
  // with `detail`, unless it had already ended by itself (then it says how).
  void Kill(HostAction action, std::string detail);

  // The loop passes to another thread (Host::StartThread): the debug checks of
  // this helper, its channel and heartbeat bind anew (see ipc::Channel's).
  void DetachFromLoopThread();

 private:
  HelperProcess(uv_loop_t* loop, Options options, Callbacks callbacks);

  // A call of Call's begins: returns its number.
  uint64_t BeginCall(absl::Time deadline, CallOptions options,
                     const std::string& type);
  // Call `call` ended with `status`: true when it must wait for the helper's
  // end (HoldUntilExit) because the helper ended, or is killed for its
  // deadline (then killed here).
  bool EndCall(uint64_t call, const absl::Status& status);
  // Completes `fail` with `status` and the helper's ExitInfo once the exit is
  // classified (at once when it already is).
  void HoldUntilExit(absl::Status status,
                     absl::AnyInvocable<void(absl::Status)> fail);
  // A held call's `status`, once the exit is classified: how the helper ended
  // in its message, and its ExitInfo attached.
  absl::Status WithExitInfo(const absl::Status& status) const;
  // The latest deadline of the calls in flight, when one is still ahead: the
  // helper is busy, not hung, until then.
  std::optional<absl::Time> BusyUntil() const;

  absl::Status Start();
  // Once spawned (at once, or later on the loop for a pending launch): the
  // rest of the start.
  absl::Status FinishStart(std::unique_ptr<ChildProcess> child);
  // A pending launch's result.
  void OnSpawned(absl::StatusOr<std::unique_ptr<ChildProcess>> child);
  // A launch that never produced a running helper ends here: reported (from
  // the loop, never from inside the caller) as `end`, or as kLaunchFailed
  // with `why`.
  void EndWithoutProcess(ProcessEnd end, absl::Status why);
  void OnChannelClosed(ipc::Channel::CloseReason reason,
                       const absl::Status& detail);
  absl::StatusOr<ipc::Control> OnHello(const ipc::Control& hello);
  // Opens the policy's pre-opened files and checks the app's, before the
  // spawn: a file that cannot be had fails the launch.
  absl::Status PrepareLaunchFiles();
  // Attaches the launch files to the Welcome.
  absl::Status AttachLaunchFiles(ipc::Welcome& welcome);
  // A file broker request (host/file_broker.h).
  absl::StatusOr<ipc::OpenFileResponse> OnOpenFile(
      const ipc::OpenFileRequest& request);
  void OnReady(const ipc::Control& ready);
  void OnTimer();
  void OnExit(int64_t exit_status, int term_signal);
  // Reports the exit once both the process has been reaped and its stderr has
  // reached end-of-stream (or a short grace period passed).
  void MaybeFinishExit();
  void StartHeartbeat();
  void SendSignal(int signal);
  // What the host knows to back the kind of its end (ExitEvidence).
  ExitEvidence Evidence() const;
  void FinishReady(absl::Status status);
  // Reports `stage` unless it or a later one was reported already.
  void Emit(LifecycleStage stage, const ExitInfo* exit = nullptr);
  // Enters kStopping (and reports kExiting) once.
  void BeginStopping();

  static void OnTimerThunk(uv_timer_t* timer);

  uv_loop_t* const loop_;  // Not owned.
  const Options options_;
  Callbacks callbacks_;
  std::unique_ptr<ipc::Channel> channel_;
  // Its stdout, stderr and crash pipe.
  std::unique_ptr<HelperOutput> output_;
  std::unique_ptr<Heartbeat> heartbeat_;  // While ready.
  // The helper's Beats, which answer the heartbeat's Pings: while ready.
  std::unique_ptr<BeatWatch> beats_;
  // Heap-allocated: freed by libuv's close callbacks, which may run after the
  // destructor.
  std::unique_ptr<ChildProcess> child_;  // Null until spawned.
  // While a launch is on its way (Linux sandboxed); destroying it cancels.
  std::unique_ptr<PendingLaunch> launch_;
  // The host's end of the handle transport, until the helper runs.
  std::unique_ptr<HandleTransportEnds> handle_ends_;
  // Why a launch that was under way failed; reported as kLaunchFailed.
  absl::Status launch_failure_;
  ipc::UvHandle<uv_timer_t> timer_;
  // How it ended and what backs the kind of its end
  // (host/exit_classification.h, internal: behind a pointer so that this
  // installed header does not need it).
  struct EndRecord;
  std::unique_ptr<EndRecord> end_record_;
  bool exit_reported_ = false;

  State state_ = State::kStarting;
  int64_t pid_ = 0;
  absl::Time started_at_;
  absl::Time exited_at_;
  ipc::SandboxStatus sandbox_status_;
  // Sent in the Welcome when the helper must lock itself down.
  ipc::SandboxSettings sandbox_settings_;
  bool has_sandbox_settings_ = false;
  std::optional<absl::Duration> last_round_trip_;
  // Files for the Welcome, until it is sent.
  std::vector<std::pair<std::string, ScopedHandle>> launch_files_;
  std::unique_ptr<FileBroker> broker_;
  uint64_t broker_requests_ = 0;
  uint64_t broker_requests_denied_ = 0;
  uint64_t broker_requests_throttled_ = 0;

  std::optional<LifecycleStage> last_stage_;
  bool hello_seen_ = false;
  uint64_t hello_hrtime_ = 0;
  bool ready_seen_ = false;
  HostAction action_ = HostAction::kNone;
  std::string action_detail_;
  // Set while stopping a helper that hung up without exiting.
  std::string hangup_reason_;
  // Shutdown escalation: 0 = Shutdown sent, 1 = SIGTERM sent, 2 = SIGKILL sent.
  int stop_stage_ = -1;
  absl::Duration stop_grace_;
  // Calls of Call's in flight, by number: their deadline and options.
  struct CallInFlight {
    absl::Time deadline;
    CallOptions options;
    std::string type;
  };
  std::map<uint64_t, CallInFlight> calls_;
  uint64_t next_call_ = 1;
  // Calls that failed because the helper ended, completed once its exit is
  // classified (MaybeFinishExit); with CANCELLED by the destructor.
  std::vector<std::pair<absl::Status, absl::AnyInvocable<void(absl::Status)>>>
      held_calls_;
  // Set once the exit is classified.
  std::optional<ExitInfo> exit_info_;
  // Completions that fail at once run from here, never inside the call.
  ipc::DeferredTasks deferred_;
  // Cleared by the destructor: a held call's completion may destroy this.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  LoopThreadChecker loop_thread_{"HelperProcess"};
};

BULKHEAD_EXPORT const char* HelperStateName(HelperProcess::State state);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_HELPER_PROCESS_H_
