#include "host/helper_pool.h"

#include <uv.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/process_info.h"
#include "host/exit_info_status.h"
#include "host/helper_pool_core.h"
#include "ipc/handler_error.h"

namespace bulkhead {

void HelperPool::Core::StartTimer(uv_timer_t* timer, uv_timer_cb callback,
                                  absl::Duration delay) {
  uv_update_time(timer->loop);
  const absl::Duration rounded =
      absl::Ceil(std::max(delay, absl::ZeroDuration()), absl::Milliseconds(1));
  uv_timer_start(timer, callback,
                 static_cast<uint64_t>(absl::ToInt64Milliseconds(rounded)), 0);
}

HelperPool::Core::Core(Host& host, Options options)
    : host_(host),
      options_(std::move(options)),
      pump_(host.loop()),
      deadline_timer_(host.loop()),
      backoff_timer_(host.loop()),
      check_timer_(host.loop()),
      shutdown_timer_(host.loop()) {
  pump_->data = this;
  deadline_timer_->data = this;
  backoff_timer_->data = this;
  check_timer_->data = this;
  shutdown_timer_->data = this;
  const uint64_t check_ms = static_cast<uint64_t>(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.check_interval)));
  uv_timer_start(
      check_timer_.get(),
      [](uv_timer_t* timer) { static_cast<Core*>(timer->data)->Check(); },
      check_ms, check_ms);
  // The checks alone do not keep the loop running.
  uv_unref(reinterpret_cast<uv_handle_t*>(check_timer_.get()));
  role_watch_ = host_.WatchRoleFailed(
      options_.role, [this](const std::string& why) { OnRoleFailed(why); });
}

HelperPool::Core::~Core() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  destroying_ = true;
  alive_.reset();  // Runs that end from here on are ignored.
  host_.UnwatchRoleFailed(role_watch_);
  for (auto& [id, worker] : workers_) {
    host_.WatchExit(id, nullptr);
    if (worker.helper != nullptr) {
      worker.helper->Kill(HostAction::kKillRequested, "helper pool destroyed");
    }
  }
  // Ends already decided keep their result; the rest are cancelled.
  std::vector<Finished> finished = std::move(finished_);
  for (Finished& done : finished) done.task->Finish(std::move(done.result));
  std::map<uint64_t, Entry> tasks = std::move(tasks_);
  for (auto& [id, entry] : tasks) {
    entry.task->Finish(absl::CancelledError("the helper pool was destroyed"));
  }
}

void HelperPool::Core::StartMinimum() { ScaleUp(); }

// --- Tasks -----------------------------------------------------------------

void HelperPool::Core::Submit(std::unique_ptr<Task> task, TaskOptions options) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (destroying_) {
    task->Finish(absl::CancelledError("the helper pool is being destroyed"));
    return;
  }
  const uint64_t id = next_task_++;
  Entry& entry = tasks_[id];
  entry.id = id;
  entry.task = std::move(task);
  entry.deadline =
      absl::Now() + options.deadline.value_or(options_.default_deadline);
  entry.options = std::move(options);
  ++stats_.submitted;
  if (shutting_down_) {
    EndTask(id, absl::CancelledError("the helper pool is shutting down"));
    return;
  }
  if (!role_error_.ok()) {
    EndTask(id, role_error_);
    return;
  }
  if (!entry.options.key.empty()) {
    if (KeyRecord* record = FindKey(entry.options.key);
        record != nullptr && record->kills >= options_.poison_kills) {
      absl::Status poison = absl::AbortedError(
          absl::StrCat("poison: tasks with key '", entry.options.key,
                       "' killed ", record->kills, " helpers"));
      if (record->last_exit.has_value()) {
        poison = AttachExitInfo(std::move(poison), *record->last_exit);
      }
      entry.repro_path = record->repro_path;
      ++stats_.poisoned;
      EndTask(id, std::move(poison));
      return;
    }
  }
  if (!launch_error_.ok() && backing_off_ && Live() == 0) {
    EndTask(id, launch_error_);
    return;
  }
  // Held tasks go first: while any wait, the queue counts as full.
  if (queue_.size() >= options_.max_queued || !waiting_.empty()) {
    if (entry.options.when_full == WhenFull::kRefuse) {
      ++stats_.refused;
      EndTask(id, absl::ResourceExhaustedError(
                      absl::StrCat("the helper pool's queue is full (",
                                   options_.max_queued, " tasks)")));
      return;
    }
    entry.where = Entry::Where::kWaiting;
    waiting_.push_back(id);
    AddDeadline(entry);
    return;
  }
  Enqueue(entry, /*front=*/false);
  Dispatch();
}

void HelperPool::Core::Enqueue(Entry& entry, bool front) {
  entry.where = Entry::Where::kQueued;
  entry.worker = 0;
  if (front) {
    queue_.push_front(entry.id);
  } else {
    queue_.push_back(entry.id);
  }
  AddDeadline(entry);
}

void HelperPool::Core::AddDeadline(const Entry& entry) {
  // The timer is set for the earliest deadline: only a new earliest moves it.
  auto [it, added] = queued_deadlines_.emplace(entry.deadline, entry.id);
  if (added && it == queued_deadlines_.begin()) ArmDeadlineTimer();
}

void HelperPool::Core::Unqueue(Entry& entry) {
  std::deque<uint64_t>& from =
      entry.where == Entry::Where::kWaiting ? waiting_ : queue_;
  if (auto it = std::find(from.begin(), from.end(), entry.id);
      it != from.end()) {
    from.erase(it);
  }
  queued_deadlines_.erase({entry.deadline, entry.id});
}

void HelperPool::Core::EndTask(uint64_t id,
                               absl::StatusOr<Task::Reply> result) {
  auto node = tasks_.extract(id);
  if (node.empty()) return;
  Entry& entry = node.mapped();
  if (entry.where == Entry::Where::kQueued ||
      entry.where == Entry::Where::kWaiting) {
    Unqueue(entry);
  }
  if (result.ok()) {
    ++stats_.succeeded;
  } else {
    ++stats_.failed;
    if (absl::IsDeadlineExceeded(result.status()) &&
        !ipc::IsHandlerError(result.status())) {
      ++stats_.deadline_exceeded;
    }
    if (!entry.repro_path.empty()) {
      absl::Status status = result.status();
      status.SetPayload(kReproPathPayloadUrl, absl::Cord(entry.repro_path));
      result = std::move(status);
    }
  }
  finished_.push_back(Finished{std::move(entry.task), std::move(result)});
  ArmPump();
}

void HelperPool::Core::StartRun(Entry& entry, Worker& worker) {
  Unqueue(entry);
  entry.where = Entry::Where::kRunning;
  entry.worker = worker.id;
  entry.token = next_token_++;
  ++entry.attempts;
  worker.tasks.insert(entry.id);
  // A call that fails because its helper ended completes once that end is
  // classified, its ExitInfo attached; with kill_on_deadline the helper is
  // killed at the deadline (kDeadlineKilled) and the call ends likewise.
  HelperProcess::CallOptions call;
  call.kill_on_deadline = options_.kill_on_deadline;
  ++calling_helper_;
  entry.task->Start(
      *worker.helper, entry.deadline, call,
      [this, alive = std::weak_ptr<bool>(alive_), task = entry.id,
       token = entry.token,
       worker = worker.id](absl::StatusOr<Task::Reply> result) mutable {
        if (alive.expired()) return;
        RunEnd end{task, token, worker, std::move(result)};
        if (calling_helper_ > 0) {
          // Inside one of the pool's own calls into a helper (a call that
          // failed at once, a kill that closed the channel): later.
          run_ends_.push_back(std::move(end));
          ArmPump();
          return;
        }
        // A reply from the loop: handled now, so that the helper gets its
        // next task in this turn of the loop; completions run after.
        ++calling_helper_;
        OnRunEnd(std::move(end));
        --calling_helper_;
        if (!RunCompletions()) return;
        // Nothing left for the pump: the loop need not turn again for it.
        if (run_ends_.empty() && finished_.empty() && !shutdown_finished_) {
          uv_idle_stop(pump_.get());
        }
      });
  --calling_helper_;
}

void HelperPool::Core::OnRunEnd(RunEnd end) {
  auto it = tasks_.find(end.task);
  if (it == tasks_.end() || it->second.token != end.token ||
      it->second.where != Entry::Where::kRunning) {
    return;  // Already ended (its deadline, its helper's end) or re-run.
  }
  Entry& entry = it->second;
  auto worker_it = workers_.find(end.worker);
  Worker* worker = worker_it == workers_.end() ? nullptr : &worker_it->second;
  const absl::Status status =
      end.result.ok() ? absl::OkStatus() : end.result.status();
  const std::optional<ExitInfo> exit = ExitInfoFromStatus(status);
  if (exit.has_value() && exit->kind == ExitKind::kDeadlineKilled &&
      worker != nullptr) {
    // Killed at a task's deadline (kill_on_deadline): the pool's doing, so
    // the tasks it held are not blamed for it, and it takes no more.
    worker->ended_by_pool = true;
    worker->state = Worker::State::kStopping;
  }
  // The channel's DEADLINE_EXCEEDED, not a handler's error of that code.
  const bool deadline_passed =
      absl::IsDeadlineExceeded(status) && !ipc::IsHandlerError(status);
  if (exit.has_value() && !deadline_passed) {
    // The call already says how the helper ended.
    if (worker != nullptr) {
      worker->tasks.erase(entry.id);
      worker->died_in_task = true;
    }
    OnTaskHelperDied(entry, *exit,
                     /*blame=*/exit->kind != ExitKind::kDeadlineKilled &&
                         (worker == nullptr || !worker->ended_by_pool));
    Dispatch();
    return;
  }
  if (worker != nullptr) {
    worker->tasks.erase(entry.id);
    ++worker->tasks_run;
    if (worker->tasks.empty()) worker->idle_since = absl::Now();
  }
  if (deadline_passed) {
    absl::Status passed = absl::DeadlineExceededError(absl::StrCat(
        "the task's deadline passed while it ran: ", status.message()));
    EndTask(entry.id, exit.has_value()
                          ? AttachExitInfo(std::move(passed), *exit)
                          : std::move(passed));
  } else {
    EndTask(entry.id, std::move(end.result));
  }
  if (worker != nullptr) {
    if (worker->state == Worker::State::kReady &&
        options_.recycle_after_tasks > 0 &&
        worker->tasks_run >= options_.recycle_after_tasks) {
      Retire(*worker,
             absl::StrCat("recycled after ", worker->tasks_run, " tasks"));
    } else if (worker->state == Worker::State::kDraining &&
               worker->tasks.empty()) {
      StopWorker(*worker, worker->drain_reason);
    }
  }
  Dispatch();
}

void HelperPool::Core::FailAllQueued(const absl::Status& status) {
  std::vector<uint64_t> ids(queue_.begin(), queue_.end());
  ids.insert(ids.end(), waiting_.begin(), waiting_.end());
  for (uint64_t id : ids) EndTask(id, status);
}

// --- Pump, timers, shutdown --------------------------------------------------

void HelperPool::Core::ArmPump() {
  if (destroying_) return;
  uv_idle_start(pump_.get(), [](uv_idle_t* idle) {
    static_cast<Core*>(idle->data)->Pump();
  });
}

void HelperPool::Core::Pump() {
  std::vector<RunEnd> ends = std::move(run_ends_);
  run_ends_.clear();
  ++calling_helper_;
  for (RunEnd& end : ends) OnRunEnd(std::move(end));
  --calling_helper_;
  if (run_ends_.empty()) uv_idle_stop(pump_.get());
  const bool finish_shutdown = std::exchange(shutdown_finished_, false);
  if (!RunCompletions()) return;
  if (finish_shutdown && shutdown_done_) {
    std::exchange(shutdown_done_, nullptr)();
  }
}

bool HelperPool::Core::RunCompletions() {
  std::weak_ptr<bool> alive = alive_;
  std::vector<Finished> finished = std::move(finished_);
  finished_.clear();
  for (Finished& done : finished) {
    // A completion may destroy the pool; the rest still run (they touch
    // only their own tasks), each exactly once.
    done.task->Finish(std::move(done.result));
  }
  return !alive.expired();
}

void HelperPool::Core::ArmDeadlineTimer() {
  if (queued_deadlines_.empty()) {
    uv_timer_stop(deadline_timer_.get());
    return;
  }
  StartTimer(
      deadline_timer_.get(),
      [](uv_timer_t* timer) {
        static_cast<Core*>(timer->data)->OnDeadlineTimer();
      },
      queued_deadlines_.begin()->first - absl::Now() + absl::Milliseconds(1));
}

void HelperPool::Core::OnDeadlineTimer() {
  const absl::Time now = absl::Now();
  while (!queued_deadlines_.empty() &&
         queued_deadlines_.begin()->first <= now) {
    const uint64_t id = queued_deadlines_.begin()->second;
    queued_deadlines_.erase(queued_deadlines_.begin());
    EndTask(id, absl::DeadlineExceededError(
                    "the task's deadline passed before a helper took it"));
  }
  ArmDeadlineTimer();
}

void HelperPool::Core::Shutdown(absl::Duration grace,
                                absl::AnyInvocable<void()> done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (shutting_down_) {
    if (done) done();  // Not expected; never silently dropped.
    return;
  }
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  uv_timer_stop(backoff_timer_.get());
  backing_off_ = false;
  FailAllQueued(absl::CancelledError("the helper pool shut down"));
  for (auto& [id, worker] : workers_) {
    if (worker.state == Worker::State::kStarting) {
      KillHelper(worker, "helper pool shut down");
    } else if (worker.state == Worker::State::kReady) {
      worker.state = Worker::State::kDraining;
      worker.drain_reason = "helper pool shut down";
      if (worker.tasks.empty()) StopWorker(worker, worker.drain_reason);
    }
  }
  StartTimer(
      shutdown_timer_.get(),
      [](uv_timer_t* timer) {
        Core* core = static_cast<Core*>(timer->data);
        for (auto& [id, worker] : core->workers_) {
          core->KillHelper(worker, "helper pool shut down (grace over)");
        }
      },
      grace);
  MaybeFinishShutdown();
}

void HelperPool::Core::MaybeFinishShutdown() {
  if (!shutting_down_ || !workers_.empty()) return;
  uv_timer_stop(shutdown_timer_.get());
  shutdown_finished_ = true;
  ArmPump();
}

HelperPool::Stats HelperPool::Core::stats() const {
  Stats stats = stats_;
  for (const auto& [id, worker] : workers_) {
    ++stats.helpers;
    if (worker.state == Worker::State::kReady) {
      ++stats.ready;
      if (!worker.tasks.empty()) ++stats.busy;
    }
  }
  stats.queued = queue_.size();
  stats.waiting = waiting_.size();
  return stats;
}

// --- HelperPool --------------------------------------------------------------

absl::StatusOr<std::unique_ptr<HelperPool>> HelperPool::Create(
    Host& host, Options options) {
  if (absl::Status role = host.CheckRole(options.role); !role.ok()) {
    return role;
  }
  if (host.role_failed(options.role)) {
    return absl::FailedPreconditionError(
        absl::StrCat("role '", options.role, "' has failed"));
  }
  if (options.min_helpers < 0 || options.max_helpers < 1 ||
      options.min_helpers > options.max_helpers) {
    return absl::InvalidArgumentError(
        "need 0 <= min_helpers <= max_helpers, max_helpers >= 1");
  }
  if (options.calls_per_helper < 1 || options.max_attempts < 1 ||
      options.poison_kills < 1 || options.max_queued < 1 ||
      options.remembered_keys < 1) {
    return absl::InvalidArgumentError(
        "calls_per_helper, max_attempts, poison_kills, max_queued and "
        "remembered_keys must be at least 1");
  }
  if (!options.repro_dir.empty() && options.max_repro_request_bytes == 0) {
    return absl::InvalidArgumentError(
        "max_repro_request_bytes must be at least 1 with a repro_dir");
  }
  if (options.launch_backoff <= absl::ZeroDuration() ||
      options.check_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "launch_backoff and check_interval must be positive");
  }
  if (options.recycle_above_resident_bytes > 0) {
    // Refused rather than never done: a pool that cannot see memory must not
    // promise to recycle on it.
    absl::StatusOr<ProcessUsage> own = GetProcessUsage(uv_os_getpid());
    if (!own.ok() && absl::IsUnimplemented(own.status())) {
      return absl::UnimplementedError(absl::StrCat(
          "recycle_above_resident_bytes: ", own.status().message()));
    }
  }
  auto core = std::make_unique<Core>(host, std::move(options));
  core->StartMinimum();
  return std::unique_ptr<HelperPool>(new HelperPool(std::move(core)));
}

HelperPool::HelperPool(std::unique_ptr<Core> core) : core_(std::move(core)) {}

HelperPool::~HelperPool() = default;

void HelperPool::SubmitTask(std::unique_ptr<Task> task, TaskOptions options) {
  core_->Submit(std::move(task), std::move(options));
}

void HelperPool::Shutdown(absl::Duration grace,
                          absl::AnyInvocable<void()> done) {
  core_->Shutdown(grace, std::move(done));
}

HelperPool::Stats HelperPool::stats() const { return core_->stats(); }

std::optional<std::string> ReproPathFromStatus(const absl::Status& status) {
  auto path = status.GetPayload(kReproPathPayloadUrl);
  if (!path.has_value()) return std::nullopt;
  return std::string(*path);
}

const HelperPool::Options& HelperPool::options() const {
  return core_->options();
}

}  // namespace bulkhead
