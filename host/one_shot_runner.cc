#include "host/one_shot_runner.h"

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/loop_thread_checker.h"
#include "host/exit_info_status.h"
#include "ipc/handler_error.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class OneShotRunner::Core {
 public:
  Core(Host& host, Options options);
  ~Core();

  void RunJob(std::unique_ptr<Job> job, absl::Duration timeout);
  void LaunchSpare();
  uint64_t runs() const { return runs_; }
  uint64_t spares_used() const { return spares_used_; }

 private:
  struct Pending {
    Core* core = nullptr;
    uint64_t id = 0;
    std::unique_ptr<Job> job;
    absl::Time deadline;
    HelperProcess* helper = nullptr;  // Not owned; null once it ended.
    uint64_t helper_id = 0;
    bool called = false;
    std::optional<absl::StatusOr<Job::Reply>> reply;
    std::optional<ExitInfo> exit;
    ipc::UvHandle<uv_timer_t> deadline_timer;
  };
  struct Spare {
    uint64_t id = 0;
    HelperProcess* helper = nullptr;  // Not owned.
    bool ready = false;
  };
  struct Finished {
    std::unique_ptr<Job> job;
    absl::StatusOr<Job::Reply> reply;
    std::optional<ExitInfo> exit;
  };

  // Launches a helper; its id, or the launch failure as an ExitInfo.
  absl::StatusOr<HelperProcess*> Launch(ExitInfo& failure);
  void OnReady(absl::StatusOr<HelperProcess*> helper);
  void OnExit(uint64_t helper_id, const ExitInfo& exit);
  void Call(Pending& run);
  void OnReply(uint64_t run, absl::StatusOr<Job::Reply> reply, bool gone);
  void OnDeadline(Pending& run);
  void Discard(Pending& run);
  void Complete(uint64_t run);
  Pending* FindByHelper(uint64_t helper_id);
  void ArmPump();
  void Pump();

  Host& host_;  // Not owned.
  const Options options_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::map<uint64_t, std::unique_ptr<Pending>> runs_by_id_;
  std::optional<Spare> spare_;
  std::vector<Finished> finished_;
  uint64_t next_run_ = 1;
  uint64_t runs_ = 0;
  uint64_t spares_used_ = 0;
  bool destroying_ = false;
  ipc::UvHandle<uv_idle_t> pump_;
  LoopThreadChecker loop_thread_{"OneShotRunner"};
};

OneShotRunner::Core::Core(Host& host, Options options)
    : host_(host), options_(std::move(options)), pump_(host.loop()) {
  pump_->data = this;
}

OneShotRunner::Core::~Core() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  destroying_ = true;
  alive_.reset();
  if (spare_.has_value()) {
    host_.WatchExit(spare_->id, nullptr);
    spare_->helper->Kill(HostAction::kKillRequested,
                         "one-shot runner destroyed");
  }
  std::vector<Finished> finished = std::move(finished_);
  for (Finished& done : finished) {
    done.job->Complete(std::move(done.reply), std::move(done.exit));
  }
  std::map<uint64_t, std::unique_ptr<Pending>> runs = std::move(runs_by_id_);
  for (auto& [id, run] : runs) {
    if (run->helper != nullptr) {
      host_.WatchExit(run->helper_id, nullptr);
      run->helper->Kill(HostAction::kKillRequested,
                        "one-shot runner destroyed");
    }
  }
  for (auto& [id, run] : runs) {
    run->job->Complete(
        absl::CancelledError("the one-shot runner was destroyed"),
        std::nullopt);
  }
}

absl::StatusOr<HelperProcess*> OneShotRunner::Core::Launch(ExitInfo& failure) {
  Host::LaunchOverrides overrides = options_.launch;
  overrides.restart = false;
  absl::StatusOr<HelperProcess*> launched =
      host_.Launch(options_.role, std::move(overrides),
                   [this, alive = std::weak_ptr<bool>(alive_)](
                       absl::StatusOr<HelperProcess*> helper) {
                     if (!alive.expired()) OnReady(helper);
                   });
  if (!launched.ok()) {
    failure.kind = ExitKind::kLaunchFailed;
    failure.launch_status = launched.status();
    failure.role = options_.role;
    return launched.status();
  }
  const uint64_t id = (*launched)->id();
  host_.WatchExit(id, [this, id](const ExitInfo& exit) { OnExit(id, exit); });
  return launched;
}

void OneShotRunner::Core::LaunchSpare() {
  if (!options_.warm_spare || spare_.has_value() || destroying_) return;
  ExitInfo failure;
  absl::StatusOr<HelperProcess*> launched = Launch(failure);
  // A spare that cannot launch is tried again at the next run, not before.
  if (!launched.ok()) return;
  spare_ = Spare{(*launched)->id(), *launched, false};
}

void OneShotRunner::Core::RunJob(std::unique_ptr<Job> job,
                                 absl::Duration timeout) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (destroying_) {
    job->Complete(
        absl::CancelledError("the one-shot runner is being destroyed"),
        std::nullopt);
    return;
  }
  ++runs_;
  auto owned = std::make_unique<Pending>();
  Pending& run = *owned;
  run.core = this;
  run.id = next_run_++;
  run.job = std::move(job);
  run.deadline = absl::Now() + timeout;
  run.deadline_timer = ipc::UvHandle<uv_timer_t>(host_.loop());
  run.deadline_timer->data = &run;
  runs_by_id_.emplace(run.id, std::move(owned));
  uv_update_time(host_.loop());
  uv_timer_start(
      run.deadline_timer.get(),
      [](uv_timer_t* timer) {
        auto* pending = static_cast<Pending*>(timer->data);
        pending->core->OnDeadline(*pending);
      },
      static_cast<uint64_t>(absl::ToInt64Milliseconds(absl::Ceil(
          std::max(timeout, absl::ZeroDuration()), absl::Milliseconds(1)))),
      0);
  if (spare_.has_value() &&
      (spare_->helper->state() == HelperProcess::State::kStopping ||
       spare_->helper->state() == HelperProcess::State::kExited)) {
    // The spare is ending by itself (its end not yet reported): the run gets
    // a fresh helper instead, and the spare is forgotten.
    host_.WatchExit(spare_->id, nullptr);
    spare_.reset();
  }
  if (spare_.has_value()) {
    ++spares_used_;
    run.helper = spare_->helper;
    run.helper_id = spare_->id;
    const bool ready = spare_->ready;
    spare_.reset();
    if (ready) Call(run);
  } else {
    ExitInfo failure;
    absl::StatusOr<HelperProcess*> launched = Launch(failure);
    if (!launched.ok()) {
      run.exit = failure;
      run.reply = AttachExitInfo(absl::UnavailableError(absl::StrCat(
                                     "could not launch a '", options_.role,
                                     "' helper: ", failure.Describe())),
                                 failure);
      Complete(run.id);
      return;
    }
    run.helper = *launched;
    run.helper_id = (*launched)->id();
  }
  LaunchSpare();
}

OneShotRunner::Core::Pending* OneShotRunner::Core::FindByHelper(
    uint64_t helper_id) {
  for (auto& [id, run] : runs_by_id_) {
    if (run->helper_id == helper_id) return run.get();
  }
  return nullptr;
}

void OneShotRunner::Core::OnReady(absl::StatusOr<HelperProcess*> helper) {
  if (!helper.ok()) return;  // OnExit says how it ended.
  const uint64_t id = (*helper)->id();
  if (spare_.has_value() && spare_->id == id) {
    spare_->ready = true;
    return;
  }
  if (Pending* run = FindByHelper(id);
      run != nullptr && !run->called && !run->reply.has_value()) {
    Call(*run);
  }
}

void OneShotRunner::Core::Call(Pending& run) {
  run.called = true;
  // The runner kills at the deadline itself (OnDeadline), launch included.
  run.job->Start(*run.helper, run.deadline, HelperProcess::CallOptions(),
                 [this, alive = std::weak_ptr<bool>(alive_),
                  id = run.id](absl::StatusOr<Job::Reply> reply) mutable {
                   if (alive.expired()) return;
                   auto it = runs_by_id_.find(id);
                   if (it == runs_by_id_.end()) return;
                   Pending& run = *it->second;
                   // The helper exists until its end is reported (OnExit).
                   const bool gone =
                       run.helper == nullptr ||
                       run.helper->state() != HelperProcess::State::kReady ||
                       !run.helper->channel().is_open();
                   OnReply(id, std::move(reply), gone);
                 });
}

void OneShotRunner::Core::OnReply(uint64_t id, absl::StatusOr<Job::Reply> reply,
                                  bool gone) {
  Pending& run = *runs_by_id_.at(id);
  if (run.reply.has_value()) return;  // Its deadline came first.
  // The call's deadline is the run's own: when the call's timer fires before
  // the runner's, the helper is still killed, not asked to stop.
  if (absl::IsDeadlineExceeded(reply.status()) &&
      !ipc::IsHandlerError(reply.status())) {
    OnDeadline(run);
    return;
  }
  // A channel that closed under the call: the helper's end says why (OnExit).
  if (gone && !ExitInfoFromStatus(reply.status()).has_value()) return;
  run.reply = std::move(reply);
  Discard(run);
}

void OneShotRunner::Core::OnDeadline(Pending& run) {
  if (run.reply.has_value()) return;
  run.reply =
      absl::DeadlineExceededError("the one-shot task's deadline passed");
  if (run.helper != nullptr) {
    run.helper->Kill(HostAction::kKillRequested, "one-shot deadline passed");
  }
}

void OneShotRunner::Core::Discard(Pending& run) {
  uv_timer_stop(run.deadline_timer.get());
  if (run.helper != nullptr) {
    run.helper->Stop(options_.stop_grace, "one-shot task done");
  }
}

void OneShotRunner::Core::OnExit(uint64_t helper_id, const ExitInfo& exit) {
  if (spare_.has_value() && spare_->id == helper_id) {
    spare_.reset();
    return;
  }
  Pending* run = FindByHelper(helper_id);
  if (run == nullptr) return;
  run->helper = nullptr;
  run->exit = exit;
  if (!run->reply.has_value()) {
    run->reply = AttachExitInfo(
        absl::UnavailableError(absl::StrCat(
            "the one-shot helper ended before it replied: ", exit.Describe())),
        exit);
  }
  Complete(run->id);
}

void OneShotRunner::Core::Complete(uint64_t id) {
  auto node = runs_by_id_.extract(id);
  if (node.empty()) return;
  Pending& run = *node.mapped();
  finished_.push_back(
      Finished{std::move(run.job), *std::move(run.reply), std::move(run.exit)});
  ArmPump();
}

void OneShotRunner::Core::ArmPump() {
  uv_idle_start(pump_.get(), [](uv_idle_t* idle) {
    static_cast<Core*>(idle->data)->Pump();
  });
}

void OneShotRunner::Core::Pump() {
  std::weak_ptr<bool> alive = alive_;
  std::vector<Finished> finished = std::move(finished_);
  finished_.clear();
  uv_idle_stop(pump_.get());
  for (Finished& done : finished) {
    done.job->Complete(std::move(done.reply), std::move(done.exit));
    if (alive.expired()) return;  // A completion may destroy the runner.
  }
}

absl::StatusOr<std::unique_ptr<OneShotRunner>> OneShotRunner::Create(
    Host& host, Options options) {
  if (absl::Status role = host.CheckRole(options.role); !role.ok()) {
    return role;
  }
  auto core = std::make_unique<Core>(host, std::move(options));
  core->LaunchSpare();
  return std::unique_ptr<OneShotRunner>(new OneShotRunner(std::move(core)));
}

OneShotRunner::OneShotRunner(std::unique_ptr<Core> core)
    : core_(std::move(core)) {}

OneShotRunner::~OneShotRunner() = default;

void OneShotRunner::RunJob(std::unique_ptr<Job> job, absl::Duration timeout) {
  core_->RunJob(std::move(job), timeout);
}

uint64_t OneShotRunner::runs() const { return core_->runs(); }
uint64_t OneShotRunner::spares_used() const { return core_->spares_used(); }

}  // namespace bulkhead
