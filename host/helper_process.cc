#include "host/helper_process.h"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/compiler.h"
#include "common/logging.h"
#include "helper/sandbox_settings.h"
#include "host/beat_watch.h"
#include "host/exit_classification.h"
#include "host/file_broker.h"
#include "host/helper_output.h"
#include "host/launch/launcher.h"
#include "ipc/proto/file_broker.pb.h"
#include "ipc/uv_status.h"
#include "sandbox/lockdown.h"

namespace bulkhead {

struct HelperProcess::EndRecord {
  // Set by the exit callback: libuv has reaped the process.
  std::optional<ProcessEnd> end;
  // What the host did that backs the kind of its end: the signals that
  // reached it while it ran, and whether its Welcome told it to lock itself
  // down. `Evidence()` adds the rest.
  ExitEvidence evidence;
};
namespace {

uint64_t ToMillis(absl::Duration duration) {
  return duration <= absl::ZeroDuration()
             ? 0
             : static_cast<uint64_t>(absl::ToInt64Milliseconds(
                   absl::Ceil(duration, absl::Milliseconds(1))));
}

// The channel to a helper, as `options` say: never trusting its shared
// memory (a helper may rewrite a region while the host parses it).
ipc::Channel::Options ChannelOptions(const HelperProcess::Options& options) {
  ipc::Channel::Options channel = options.channel;
  channel.max_frame_size = options.max_frame_size;
  channel.trust_peer_shared_memory = false;
  return channel;
}

}  // namespace

const char* HelperStateName(HelperProcess::State state) {
  switch (state) {
    case HelperProcess::State::kStarting:
      return "starting";
    case HelperProcess::State::kReady:
      return "ready";
    case HelperProcess::State::kStopping:
      return "stopping";
    case HelperProcess::State::kExited:
      return "exited";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<HelperProcess>> HelperProcess::Launch(
    uv_loop_t* loop, Options options, Callbacks callbacks) {
  std::unique_ptr<HelperProcess> helper(
      new HelperProcess(loop, std::move(options), std::move(callbacks)));
  if (absl::Status started = helper->Start(); !started.ok()) return started;
  return helper;
}

HelperProcess::HelperProcess(uv_loop_t* loop, Options options,
                             Callbacks callbacks)
    : loop_(loop),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      channel_(ipc::Channel::Create(loop, ChannelOptions(options_))),
      output_(std::make_unique<HelperOutput>(loop, options_.forward_output,
                                             options_.launch.executable)),
      timer_(loop),
      end_record_(std::make_unique<EndRecord>()),
      deferred_(loop) {
  timer_->data = this;
}

HelperProcess::~HelperProcess() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  *alive_ = false;
  launch_.reset();  // Cancels a launch on its way: no callback after this.
  timer_.Close();
  channel_.reset();  // Its calls complete with CANCELLED.
  for (auto& [status, fail] : std::exchange(held_calls_, {})) {
    fail(absl::CancelledError(name() + " destroyed"));
  }
  // `child_` kills and reaps a helper still running.
}

bool HelperProcess::forked() const {
  return child_ != nullptr && child_->forked();
}

void HelperProcess::DetachFromLoopThread() {
  loop_thread_.Detach();
  deferred_.DetachFromLoopThread();
  channel_->DetachFromLoopThread();
  if (heartbeat_ != nullptr) heartbeat_->DetachFromLoopThread();
  if (beats_ != nullptr) beats_->DetachFromLoopThread();
}

std::string HelperProcess::name() const {
  return absl::StrCat(role(), "-", id());
}

uint64_t HelperProcess::output_lines_dropped() const {
  return output_->lines_dropped();
}

absl::Duration HelperProcess::uptime() const {
  return (state_ == State::kExited ? exited_at_ : absl::Now()) - started_at_;
}

absl::Status HelperProcess::Start() {
  channel_->ServeControl(
      ipc::Control::kHello,
      [this](const ipc::Control& hello) { return OnHello(hello); });
  channel_->OnControl(ipc::Control::kReady,
                      [this](const ipc::Control& ready) { OnReady(ready); });
  // Beats before Ready (none are asked for) or after the heartbeat stopped
  // count for nothing.
  channel_->OnControl(ipc::Control::kBeat, [this](const ipc::Control&) {
    if (beats_ != nullptr) beats_->OnBeat();
  });
  broker_ = std::make_unique<FileBroker>(
      options_.launch.sandbox_policy.broker_rules, FileBroker::RateLimit());
  channel_->Serve<ipc::OpenFileRequest, ipc::OpenFileResponse>(
      [this](const ipc::OpenFileRequest& request)
          -> absl::StatusOr<ipc::OpenFileResponse> {
        return OnOpenFile(request);
      });
  if (options_.launch.sandboxed && sandbox::HelperLocksItselfDown() &&
      !options_.launch.sandbox_policy.disabled()) {
    // Compiled here, once per launch in the host, never in the helper.
    absl::StatusOr<ipc::SandboxSettings> settings =
        MakeSandboxSettings(options_.launch.sandbox_policy);
    if (!settings.ok()) return settings.status();
    sandbox_settings_ = *std::move(settings);
    has_sandbox_settings_ = true;
  }
  started_at_ = absl::Now();
  Emit(LifecycleStage::kLaunching);
  if (absl::Status files = PrepareLaunchFiles(); !files.ok()) return files;
  absl::StatusOr<HandleTransportEnds> handles = CreateHandleTransportEnds();
  if (!handles.ok()) return handles.status();
  handle_ends_ = std::make_unique<HandleTransportEnds>(*std::move(handles));
  absl::StatusOr<SpawnStart> spawn = SpawnHelper(
      loop_, options_.launch,
      {.channel = channel_->pipe(),
       .stdout_pipe = output_->stdout_pipe(),
       .stderr_pipe = output_->stderr_pipe(),
       .crash_pipe = output_->crash_pipe(),
       .handle_socket = handle_ends_->helper_fd,
       .handles_brokered = handle_ends_->brokered},
      [this](int64_t exit_status, int term_signal) {
        OnExit(exit_status, term_signal);
      },
      options_.zygote,
      [this](absl::StatusOr<std::unique_ptr<ChildProcess>> child) {
        OnSpawned(std::move(child));
      },
      options_.sandbox_zygotes);
  if (!spawn.ok()) return spawn.status();
  // The helper has its copy of its end by now, or the pending launch has.
  handle_ends_->helper.reset();
  if (spawn->pending != nullptr) {
    launch_ = std::move(spawn->pending);
    return absl::OkStatus();
  }
  return FinishStart(std::move(spawn->child));
}

void HelperProcess::OnSpawned(
    absl::StatusOr<std::unique_ptr<ChildProcess>> child) {
  launch_.reset();  // Done: it is not touched after this callback.
  absl::Status finished =
      child.ok() ? FinishStart(*std::move(child)) : child.status();
  if (finished.ok()) return;
  BH_LOG(kWarning, "cannot launch ", name(), ": ", finished.message());
  child_.reset();  // Kills and reaps what was started.
  EndWithoutProcess(ProcessEnd(), std::move(finished));
}

void HelperProcess::EndWithoutProcess(ProcessEnd end, absl::Status why) {
  launch_.reset();
  if (end_record_->end.has_value()) return;
  exited_at_ = absl::Now();
  end_record_->end = end;
  launch_failure_ = std::move(why);
  if (state_ != State::kStopping) BeginStopping();
  // From the loop: a caller (Shutdown's walk over the helpers) may not
  // expect the helper to go before it returns.
  uv_timer_start(timer_.get(), OnTimerThunk, 0, 0);
}

absl::Status HelperProcess::FinishStart(std::unique_ptr<ChildProcess> child) {
  child_ = std::move(child);
  pid_ = child_->pid();
  if (handle_ends_->host.is_valid() || handle_ends_->brokered) {
    absl::StatusOr<ScopedHandle> end =
        TakeHostTransportEnd(*handle_ends_, pid_);
    if (!end.ok()) return end.status();  // `child_` goes with this helper.
    channel_->SetHandleTransport(*std::move(end));
  }
  handle_ends_.reset();
  Emit(LifecycleStage::kStarted);
  const std::string prefix = absl::StrCat("[", name(), " ", pid_, "] ");
  absl::Status reading = output_->Start(prefix, [this] { MaybeFinishExit(); });
  if (!reading.ok()) BH_LOG(kWarning, name(), ": ", reading.message());
  BH_LOG(kInfo, "launched ", name(), " as pid ", pid_);
  if (absl::Status reading = channel_->Start(
          [this](ipc::Channel::CloseReason reason, const absl::Status& detail) {
            OnChannelClosed(reason, detail);
          });
      !reading.ok()) {
    Kill(HostAction::kKilledAsBadMessage,
         absl::StrCat("channel failed: ", reading.message()));
    return absl::OkStatus();  // The exit callback will report it.
  }
  // The spawn may have blocked the loop (a zygote that took its time, a slow
  // exec) or finished later: the deadline counts from now, not from the
  // loop's cached time.
  uv_update_time(loop_);
  uv_timer_start(timer_.get(), OnTimerThunk,
                 ToMillis(options_.handshake_timeout), 0);
  return absl::OkStatus();
}

absl::StatusOr<ipc::Control> HelperProcess::OnHello(
    const ipc::Control& control) {
  const ipc::Hello& hello = control.hello();
  std::string lie;
  if (hello_seen_) {
    lie = "a second Hello";
  } else if (hello.protocol() != ipc::PROTOCOL_VERSION_2) {
    lie = absl::StrCat("unsupported protocol version ", hello.protocol());
  } else if (hello.role() != role()) {
    lie = absl::StrCat("Hello claims role '", hello.role(), "'");
  } else if (hello.helper_id() != id()) {
    lie = absl::StrCat("Hello claims helper id ", hello.helper_id());
  }
  hello_seen_ = true;
  if (!lie.empty()) {
    channel_->CloseForViolation(absl::InvalidArgumentError(lie));
    return absl::InvalidArgumentError(lie);
  }
  hello_hrtime_ = uv_hrtime();
  ipc::Control welcome;
  welcome.mutable_welcome()->set_protocol(ipc::PROTOCOL_VERSION_2);
  welcome.mutable_welcome()->set_helper_id(id());
  // The helper's loop beats at the heartbeat's interval, from Ready on.
  welcome.mutable_welcome()->set_beat_interval_ms(
      static_cast<uint32_t>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(
              absl::Ceil(options_.heartbeat.interval, absl::Milliseconds(1))),
          1, std::numeric_limits<uint32_t>::max())));
  if (has_sandbox_settings_) {
    ipc::SandboxSettings* settings =
        welcome.mutable_welcome()->mutable_sandbox();
    *settings = sandbox_settings_;
    // The launcher made the cgroup, if any.
    settings->set_cgroup_path(child_->cgroup_path());
    settings->set_cgroup_description(child_->cgroup_description());
    end_record_->evidence.lockdown_requested = true;
  }
  if (absl::Status files = AttachLaunchFiles(*welcome.mutable_welcome());
      !files.ok()) {
    BH_LOG(kError, name(), ": cannot hand over its files: ", files.message());
    return files;  // The helper's handshake fails; it exits.
  }
  return welcome;
}

absl::Status HelperProcess::PrepareLaunchFiles() {
  const bool sandboxed = options_.launch.sandboxed;
  for (const sandbox::PreopenedFile& file :
       options_.launch.sandbox_policy.preopened) {
    absl::StatusOr<ScopedHandle> opened = OpenPreopenedFile(file, sandboxed);
    if (!opened.ok()) return opened.status();
    launch_files_.emplace_back(file.name, *std::move(opened));
  }
  for (const auto& [name, handle] : options_.files) {
    for (const auto& [taken, unused] : launch_files_) {
      if (taken == name) {
        return absl::InvalidArgumentError(absl::StrCat(
            "file '", name, "' is named both by the policy and the launch"));
      }
    }
    if (handle == nullptr || !handle->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("file '", name, "' is not an open handle"));
    }
    if (absl::Status fit = CheckHandleForHelper(handle->get(), sandboxed);
        !fit.ok()) {
      return absl::Status(fit.code(),
                          absl::StrCat("file '", name, "': ", fit.message()));
    }
    absl::StatusOr<ScopedHandle> copy = DuplicateNativeHandle(handle->get());
    if (!copy.ok()) return copy.status();
    launch_files_.emplace_back(name, *std::move(copy));
  }
  // One handle of a frame stays free for a shared body.
  if (launch_files_.size() >= 63) {
    return absl::InvalidArgumentError(
        absl::StrCat(launch_files_.size(),
                     " files for one helper; at most 62 travel with its "
                     "Welcome"));
  }
  return absl::OkStatus();
}

absl::Status HelperProcess::AttachLaunchFiles(ipc::Welcome& welcome) {
  if (launch_files_.empty()) return absl::OkStatus();
  std::vector<ScopedHandle> handles;
  for (auto& [name, handle] : launch_files_) {
    welcome.add_file_names(name);
    handles.push_back(std::move(handle));
  }
  launch_files_.clear();
  return channel_->AttachToReply(std::move(handles));
}

absl::StatusOr<ipc::OpenFileResponse> HelperProcess::OnOpenFile(
    const ipc::OpenFileRequest& request) {
  ++broker_requests_;
  absl::StatusOr<ScopedHandle> file =
      broker_->Open(request.path(), request.flags(), absl::Now());
  if (!file.ok()) {
    if (absl::IsResourceExhausted(file.status())) {
      ++broker_requests_throttled_;
    } else if (absl::IsPermissionDenied(file.status())) {
      ++broker_requests_denied_;
      // Sparingly: a helper that asks over and over must not flood the log.
      if (broker_requests_denied_ <= 10 ||
          broker_requests_denied_ % 1000 == 0) {
        BH_LOG(kWarning, name(), " was refused a file (",
               broker_requests_denied_, " so far): ", file.status().message());
      }
    }
    return file.status();
  }
  std::vector<ScopedHandle> handles;
  handles.push_back(*std::move(file));
  if (absl::Status attached = channel_->AttachToReply(std::move(handles));
      !attached.ok()) {
    return attached;
  }
  ipc::OpenFileResponse response;
  response.set_path(request.path());
  return response;
}

void HelperProcess::OnReady(const ipc::Control& ready) {
  if (!hello_seen_ || ready_seen_) {
    channel_->CloseForViolation(absl::InvalidArgumentError(
        ready_seen_ ? "Ready sent twice" : "Ready before Hello"));
    return;
  }
  ready_seen_ = true;
  if (state_ != State::kStarting)
    return;  // Already stopping: too late to matter.
  sandbox_status_ = ready.ready().sandbox();
  state_ = State::kReady;
  uv_timer_stop(timer_.get());
  StartHeartbeat();
  Emit(LifecycleStage::kReady);
  BH_LOG(kInfo, name(), " is ready");
  FinishReady(absl::OkStatus());
}

void HelperProcess::Emit(LifecycleStage stage, const ExitInfo* exit) {
  if (last_stage_.has_value() && *last_stage_ >= stage) return;
  last_stage_ = stage;
  if (!callbacks_.on_lifecycle) return;
  LifecycleEvent event;
  event.stage = stage;
  event.helper_id = id();
  event.role = role();
  event.pid = pid_;
  event.exit = exit;
  callbacks_.on_lifecycle(event);
}

void HelperProcess::BeginStopping() {
  state_ = State::kStopping;
  // A helper on its way out owes no more Beats: a Ping waiting for one must
  // not convict it as hung (the heartbeat takes UNAVAILABLE as no verdict).
  if (beats_ != nullptr)
    beats_->Cancel(absl::UnavailableError(name() + " is stopping"));
  Emit(LifecycleStage::kExiting);
}

void HelperProcess::FinishReady(absl::Status status) {
  if (callbacks_.on_ready) {
    auto on_ready = std::move(callbacks_.on_ready);
    callbacks_.on_ready = nullptr;
    on_ready(std::move(status));
  }
}

void HelperProcess::OnChannelClosed(ipc::Channel::CloseReason reason,
                                    const absl::Status& detail) {
  if (state_ == State::kExited) return;
  switch (reason) {
    case ipc::Channel::CloseReason::kProtocolViolation:
      Kill(HostAction::kKilledAsBadMessage, std::string(detail.message()));
      return;
    case ipc::Channel::CloseReason::kClosedLocally:
      return;
    case ipc::Channel::CloseReason::kPeerClosed:
    case ipc::Channel::CloseReason::kIoError:
      // Not the helper's fault for certain: it is stopped, not convicted.
      break;
  }
  if (state_ == State::kStopping) return;  // Expected: it is on its way out.
  // The channel is gone. The helper is most likely exiting; if it is not, it
  // is useless and is stopped the same way as at shutdown, but without the
  // Shutdown message it can no longer get.
  const bool hung_up = reason == ipc::Channel::CloseReason::kPeerClosed;
  BH_LOG(kInfo, name(), hung_up ? " closed its channel" : " channel failed: ",
         hung_up ? "" : detail.message());
  BeginStopping();
  stop_stage_ = 0;
  stop_grace_ = options_.handshake_timeout;
  // Said only if it comes to signals: a helper that exits by itself meanwhile
  // (the usual case: it crashed) is reported as what it did.
  hangup_reason_ = hung_up ? "closed its channel without exiting"
                           : absl::StrCat("channel failed (", detail.message(),
                                          ") and the helper did not exit");
  uv_timer_start(timer_.get(), OnTimerThunk, ToMillis(stop_grace_), 0);
}

void HelperProcess::Stop(absl::Duration grace, const std::string& reason,
                         HostAction action) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ == State::kExited) return;
  if (action_ == HostAction::kNone) {
    action_ = action;
    // A host shutdown needs no more words; a stop says why.
    if (action == HostAction::kStopRequested) action_detail_ = reason;
  }
  // Already on its way out, unless only because it hung up: then this stop
  // takes over, as asked.
  if (state_ == State::kStopping && hangup_reason_.empty()) return;
  hangup_reason_.clear();
  BeginStopping();
  if (launch_ != nullptr) {
    // Nothing runs yet to be asked: the launch is called off.
    end_record_->evidence.AddHostSignal(SIGKILL);
    EndWithoutProcess(ProcessEnd{.term_signal = SIGKILL}, absl::OkStatus());
    return;
  }
  if (heartbeat_) heartbeat_->Stop();
  stop_grace_ = grace;
  stop_stage_ = 0;
  ipc::Control shutdown;
  shutdown.mutable_shutdown()->set_reason(reason);
  if (!channel_->SendControl(shutdown).ok()) {
    // The channel is gone; go straight to signals.
    stop_stage_ = 1;
    SendSignal(SIGTERM);
  }
  uv_timer_start(timer_.get(), OnTimerThunk, ToMillis(grace), 0);
}

void HelperProcess::Kill(HostAction action, std::string detail) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ == State::kExited) return;
  // The first reason wins: a helper killed as hung that then also breaks the
  // protocol on its way out was still hung.
  if (action_ == HostAction::kNone ||
      action_ == HostAction::kShutdownRequested ||
      action_ == HostAction::kStopRequested) {
    action_ = action;
    action_detail_ = std::move(detail);
  }
  BH_LOG(kWarning, "killing ", name(), ": ", action_detail_);
  BeginStopping();
  if (heartbeat_) heartbeat_->Stop();
  uv_timer_stop(timer_.get());
  // Closed first (for a protocol violation the channel has closed itself
  // already): the helper may see it and exit before the SIGKILL lands.
  if (!end_record_->end.has_value())
    end_record_->evidence.host_closed_channel = true;
  channel_->Close();
  SendSignal(SIGKILL);
}

void HelperProcess::SendSignal(int signal) {
  // Once reaped, the pid may already name another process.
  if (end_record_->end.has_value()) return;
  if (launch_ != nullptr) {
    // Still on its way: called off, the child (if any yet) killed and reaped.
    end_record_->evidence.AddHostSignal(SIGKILL);
    EndWithoutProcess(ProcessEnd{.term_signal = SIGKILL}, absl::OkStatus());
    return;
  }
  const absl::Status sent = child_->Signal(signal);
  if (sent.ok()) {
    end_record_->evidence.AddHostSignal(signal);
  } else if (!absl::IsFailedPrecondition(sent)) {
    BH_LOG(kError, "cannot signal ", name(), ": ", sent.message());
  }
  // FailedPrecondition: it had already ended (its exit is on the way), so
  // this signal is not what ended it.
}

ExitEvidence HelperProcess::Evidence() const {
  ExitEvidence evidence = end_record_->evidence;
  evidence.action = action_;
  evidence.ready = ready_seen_;
  const bool lockdown_requested = evidence.lockdown_requested;
  const sandbox::ResourceLimits& limits = options_.launch.sandbox_policy.limits;
  // The probe's word counts only to take a layer away: a filter reported off
  // (best effort, refused) traps nothing.
  const auto& layers = sandbox_status_.layers();
  auto reported_off = [&](const char* layer) {
    auto it = layers.find(layer);
    return ready_seen_ &&
           (it == layers.end() || !absl::StartsWith(it->second, "on"));
  };
  evidence.seccomp_filter =
      lockdown_requested && !sandbox_settings_.seccomp_program().empty() &&
      !sandbox_settings_.learning() && !reported_off("seccomp");
  // The policy's rlimits are Linux's lockdown layer (macOS's seatbelt sets
  // none); Windows' job carries the address-space cap from the launch on
  // (sandbox/windows_confinement.h).
  const bool rlimits_applied = sandbox::LockdownAvailable() &&
                               lockdown_requested && !reported_off("rlimits");
  evidence.cpu_limit = rlimits_applied && limits.cpu_seconds > 0;
#ifdef _WIN32
  const bool policy_memory_cap =
      options_.launch.sandboxed && limits.address_space_bytes > 0;
#else
  const bool policy_memory_cap = rlimits_applied &&
                                 limits.address_space_bytes > 0 &&
                                 !BH_SANITIZER_RESERVES_ADDRESS_SPACE;
#endif
  // Its own --memory-limit (RLIMIT_AS or a job), the sandbox's address-space
  // cap (which sanitizer builds do not set), or its cgroup's memory limit.
  evidence.memory_limit =
      options_.launch.memory_limit_bytes > 0 || policy_memory_cap ||
      (limits.cgroup_memory_bytes > 0 && !child_->cgroup_path().empty());
  return evidence;
}

// How long the exit report waits for the rest of the helper's stderr.
constexpr absl::Duration kStderrDrainGrace = absl::Milliseconds(250);

void HelperProcess::OnTimer() {
  if (end_record_->end.has_value()) {
    MaybeFinishExit();
    return;
  }
  if (state_ == State::kStarting) {
    Kill(HostAction::kKilledAsHung,
         absl::StrCat("no Ready within ",
                      absl::FormatDuration(options_.handshake_timeout)));
    return;
  }
  if (state_ != State::kStopping) return;
  if (stop_stage_ == 0) {
    BH_LOG(kWarning, name(), " did not exit within ",
           absl::FormatDuration(stop_grace_), "; sending SIGTERM");
    stop_stage_ = 1;
    // A helper stopped for closing its channel was not asked to shut down: the
    // host kills it.
    if (action_ == HostAction::kNone) {
      action_ = HostAction::kKillRequested;
      action_detail_ = hangup_reason_;
    }
    SendSignal(SIGTERM);
    uv_timer_start(timer_.get(), OnTimerThunk, ToMillis(stop_grace_), 0);
  } else if (stop_stage_ == 1) {
    BH_LOG(kWarning, name(), " ignored SIGTERM; sending SIGKILL");
    stop_stage_ = 2;
    SendSignal(SIGKILL);
  }
}

void HelperProcess::OnExit(int64_t exit_status, int term_signal) {
  exited_at_ = absl::Now();
  end_record_->end = ProcessEndFromUv(exit_status, term_signal);
  // The OOM killer sends SIGKILL; any other end needs no look at the cgroup's
  // counters (a file read, on the way to the report).
  end_record_->end->memory_limit_killed =
      end_record_->end->term_signal == SIGKILL && child_->killed_for_memory();
  uv_timer_stop(timer_.get());
  if (output_->still_open()) {
    // Its last words are usually still in the pipe: give them a moment.
    uv_timer_start(timer_.get(), OnTimerThunk, ToMillis(kStderrDrainGrace), 0);
    return;
  }
  MaybeFinishExit();
}

void HelperProcess::MaybeFinishExit() {
  if (!end_record_->end.has_value() || exit_reported_) return;
  // Wait for the helper's last words unless the grace period is over (the
  // timer calls in with the pipes still open).
  if (output_->still_open() && uv_is_active(timer_.handle())) {
    return;
  }
  exit_reported_ = true;
  ExitInfo info = ClassifyExit(*end_record_->end, Evidence());
  if (!launch_failure_.ok()) {
    // A launch under way that failed: nothing ran to end otherwise.
    info.kind = ExitKind::kLaunchFailed;
    info.launch_status = launch_failure_;
  }
  info.last_stderr_lines = output_->last_stderr_lines();
  // A crash record is the helper's word: it counts only beside an end the
  // kernel reports as a signal the helper could have crashed with, never on an
  // exit it chose (it could have written one and then exited).
  if (info.kind == ExitKind::kCrashed ||
      info.kind == ExitKind::kSandboxViolation) {
    info.stack_trace = output_->CrashStack();
  }
  info.pid = pid_;
  info.role = role();
  info.helper_id = id();
  info.uptime = exited_at_ - started_at_;
  info.was_ready = ready_seen_;
  info.detail = action_detail_;
  if (info.kind == ExitKind::kLaunchFailed && !info.last_stderr_lines.empty()) {
    // The helper's own last words say which layer and why.
    info.launch_status =
        absl::Status(info.launch_status.code(),
                     absl::StrCat(info.launch_status.message(), ": ",
                                  info.last_stderr_lines.back()));
  }
  if (info.kind == ExitKind::kSandboxViolation) {
    // The kind is the kernel's (SIGSYS); which call, the helper's own word.
    info.syscall = output_->ViolatingSyscall();
  }
  const bool was_ready =
      state_ == State::kReady || callbacks_.on_ready == nullptr;
  state_ = State::kExited;
  exit_info_ = info;
  uv_timer_stop(timer_.get());
  // Calls still pending fail now, with the ExitInfo (EndCall).
  channel_->Close();
  BH_LOG(kInfo, name(), " (pid ", pid_, ") ended: ", info.Describe());
  if (!was_ready) {
    FinishReady(absl::UnavailableError(
        absl::StrCat(name(), " ended before it was ready: ", info.Describe())));
  }
  Emit(LifecycleStage::kExited, &info);
  // The calls that failed because the helper ended, before the exit handler:
  // by the time it runs, none of this helper's calls is pending.
  std::shared_ptr<bool> alive = alive_;
  for (auto& [status, fail] : std::exchange(held_calls_, {})) {
    fail(WithExitInfo(status));
    if (!*alive) return;
  }
  // Last: the handler may destroy this object.
  if (callbacks_.on_exit) {
    auto on_exit = std::move(callbacks_.on_exit);
    on_exit(info);
  }
}

void HelperProcess::OnTimerThunk(uv_timer_t* timer) {
  auto* self = static_cast<HelperProcess*>(timer->data);
  if (self != nullptr) self->OnTimer();
}

}  // namespace bulkhead
