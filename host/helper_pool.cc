#include "host/helper_pool.h"

#include <algorithm>
#include <deque>
#include <list>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/loop_thread_checker.h"
#include "common/process_info.h"
#include "host/exit_info_status.h"
#include "host/repro.h"
#include "ipc/handler_error.h"
#include "ipc/uv_handle.h"

namespace bulkhead {
namespace {

// Starts `timer` to fire once after `delay`, counted from now (the loop's
// time is refreshed: it was read when the iteration began).
void StartTimer(uv_timer_t* timer, uv_timer_cb callback, absl::Duration delay) {
  uv_update_time(timer->loop);
  const absl::Duration rounded =
      absl::Ceil(std::max(delay, absl::ZeroDuration()), absl::Milliseconds(1));
  uv_timer_start(timer, callback,
                 static_cast<uint64_t>(absl::ToInt64Milliseconds(rounded)), 0);
}

}  // namespace

class HelperPool::Core {
 public:
  Core(Host& host, Options options);
  ~Core();

  void StartMinimum();
  void Submit(std::unique_ptr<Task> task, TaskOptions options);
  void Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done);
  Stats stats() const;
  const Options& options() const { return options_; }

 private:
  struct Worker {
    enum class State {
      kStarting,  // Launched, not yet Ready.
      kReady,     // Takes tasks.
      kDraining,  // Retired: finishes its tasks, then is stopped.
      kStopping,  // Stopped or killed by the pool; its end is due.
    };
    uint64_t id = 0;
    HelperProcess* helper = nullptr;  // Not owned (the host's).
    State state = State::kStarting;
    std::set<uint64_t> tasks;  // In flight (or waiting for its end).
    uint64_t tasks_run = 0;
    absl::Time ready_at;
    absl::Time idle_since;
    // Its end was the pool's doing (stopped, recycled, killed for another
    // task's deadline, shutdown): the tasks it held are not blamed for it.
    bool ended_by_pool = false;
    // Why it is draining: the reason it is stopped with.
    std::string drain_reason;
  };

  struct Entry {
    enum class Where { kWaiting, kQueued, kRunning };
    uint64_t id = 0;
    std::unique_ptr<Task> task;
    TaskOptions options;
    absl::Time deadline;
    Where where = Where::kQueued;
    int attempts = 0;  // Runs started.
    int kills = 0;     // Helpers that died with it in flight.
    uint64_t worker = 0;
    uint64_t token = 0;  // Its current run; older runs' replies are ignored.
    std::string repro_path;  // The repro written for it, if any.
  };

  // A run's end, as the channel reported it; handled from the pump.
  struct RunEnd {
    uint64_t task = 0;
    uint64_t token = 0;
    uint64_t worker = 0;
    absl::StatusOr<Task::Reply> result;
  };

  struct Finished {
    std::unique_ptr<Task> task;
    absl::StatusOr<Task::Reply> result;
  };

  struct KeyRecord {
    int kills = 0;
    std::optional<ExitInfo> last_exit;
    std::string repro_path;  // The repro written for the key, if any.
    std::list<std::string>::iterator lru;
  };

  // Tasks.
  void Enqueue(Entry& entry, bool front);
  void Unqueue(Entry& entry);
  void AddDeadline(const Entry& entry);
  void EndTask(uint64_t id, absl::StatusOr<Task::Reply> result);
  void StartRun(Entry& entry, Worker& worker);
  void OnRunEnd(RunEnd end);
  void OnTaskHelperDied(Entry& entry, const ExitInfo& exit, bool blame);
  void FailAllQueued(const absl::Status& status);
  // Options::repro_dir: writes the entry's request as a repro of `exit`,
  // unless one was written for it (or its key) already.
  void KeepRepro(Entry& entry, const ExitInfo& exit);
  KeyRecord* FindKey(const std::string& key);
  KeyRecord& TouchKey(const std::string& key);

  // Helpers.
  void Dispatch();
  void ScaleUp();
  void Launch();
  void OnReady(absl::StatusOr<HelperProcess*> helper);
  void OnExit(uint64_t id, const ExitInfo& exit);
  void OnLaunchFailure(const ExitInfo& exit);
  // The role failed (Host::WatchRoleFailed): no more tasks, no more helpers.
  void OnRoleFailed(const std::string& why);
  // No launch until the back-off for the failures in a row so far passed.
  void BackOff();
  void Retire(Worker& worker, const std::string& why);
  void StopWorker(Worker& worker, const std::string& why);
  void Check();
  int Live() const;      // Starting or ready.
  int Starting() const;  // Starting.
  bool HasCapacity() const;

  // The pump: runs ends and completions on a later loop turn.
  void ArmPump();
  void Pump();
  // Runs the completions decided so far; false when one destroyed the pool.
  bool RunCompletions();
  // Kill and Stop, which may fail calls at once (see calling_helper_).
  void KillHelper(Worker& worker, const std::string& why);
  void ArmDeadlineTimer();
  void OnDeadlineTimer();
  void MaybeFinishShutdown();

  Host& host_;  // Not owned.
  const Options options_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::map<uint64_t, Worker> workers_;
  std::map<uint64_t, Entry> tasks_;
  std::deque<uint64_t> queue_;
  std::deque<uint64_t> waiting_;
  std::set<std::pair<absl::Time, uint64_t>> queued_deadlines_;
  uint64_t next_task_ = 1;
  uint64_t next_token_ = 1;

  std::map<std::string, KeyRecord, std::less<>> keys_;
  std::list<std::string> key_lru_;  // Most recently used first.

  std::vector<RunEnd> run_ends_;
  std::vector<Finished> finished_;

  // Launch failures in a row, and the status tasks fail with meanwhile.
  int launch_failures_in_row_ = 0;
  absl::Status launch_error_;
  bool backing_off_ = false;
  // Not OK once the role failed: what the queued and new tasks end with.
  absl::Status role_error_;
  uint64_t role_watch_ = 0;  // Host::WatchRoleFailed's id.

  bool shutting_down_ = false;
  bool destroying_ = false;
  absl::AnyInvocable<void()> shutdown_done_;
  bool shutdown_finished_ = false;

  Stats stats_;
  // Above 0 while the pool calls into a helper (Call, Kill, Stop): a run that
  // ends inside such a call is handled from the pump, never re-entrantly.
  int calling_helper_ = 0;

  ipc::UvHandle<uv_idle_t> pump_;
  ipc::UvHandle<uv_timer_t> deadline_timer_;
  ipc::UvHandle<uv_timer_t> backoff_timer_;
  ipc::UvHandle<uv_timer_t> check_timer_;
  ipc::UvHandle<uv_timer_t> shutdown_timer_;
  LoopThreadChecker loop_thread_{"HelperPool"};
};

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
    if (worker != nullptr) worker->tasks.erase(entry.id);
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

void HelperPool::Core::OnTaskHelperDied(Entry& entry, const ExitInfo& exit,
                                        bool blame) {
  ++entry.token;
  entry.worker = 0;
  int kills = 0;
  if (blame) {
    kills = ++entry.kills;
    if (!entry.options.key.empty()) {
      KeyRecord& record = TouchKey(entry.options.key);
      record.last_exit = exit;
      kills = std::max(kills, ++record.kills);
    }
    KeepRepro(entry, exit);
  }
  if (blame && kills >= options_.poison_kills) {
    ++stats_.poisoned;
    EndTask(entry.id,
            AttachExitInfo(absl::AbortedError(absl::StrCat(
                               "poison: the task killed ", kills,
                               " helpers; the last ", exit.Describe())),
                           exit));
    return;
  }
  if (entry.options.idempotent && entry.attempts < options_.max_attempts &&
      !shutting_down_ && absl::Now() < entry.deadline) {
    ++stats_.retried;
    Enqueue(entry, /*front=*/true);
    return;
  }
  EndTask(entry.id,
          AttachExitInfo(absl::UnavailableError(absl::StrCat(
                             "the helper running the task ended: ", exit.role,
                             "-", exit.helper_id, " ", exit.Describe())),
                         exit));
}

void HelperPool::Core::FailAllQueued(const absl::Status& status) {
  std::vector<uint64_t> ids(queue_.begin(), queue_.end());
  ids.insert(ids.end(), waiting_.begin(), waiting_.end());
  for (uint64_t id : ids) EndTask(id, status);
}

void HelperPool::Core::KeepRepro(Entry& entry, const ExitInfo& exit) {
  if (options_.repro_dir.empty()) return;
  KeyRecord* record =
      entry.options.key.empty() ? nullptr : FindKey(entry.options.key);
  if (entry.repro_path.empty() && record != nullptr) {
    entry.repro_path = record->repro_path;
  }
  if (!entry.repro_path.empty()) return;
  const google::protobuf::Message* request = entry.task->request();
  if (request == nullptr) return;
  if (stats_.repros_written >= options_.max_repro_files) {
    ++stats_.repro_write_errors;
    return;
  }
  absl::StatusOr<Repro> repro = MakeRepro(options_.role, *request, exit,
                                          options_.max_repro_request_bytes);
  if (!repro.ok()) {
    ++stats_.repro_write_errors;
    return;
  }
  // <role>-<UTC time>-<helper id>[-n].repro: the helper id is unique in this
  // host, the time across runs; a name taken already gets a number.
  const std::string stem = absl::StrCat(
      options_.repro_dir, "/", options_.role, "-",
      absl::FormatTime("%Y%m%dT%H%M%S", repro->made, absl::UTCTimeZone()), "-",
      exit.helper_id);
  WriteReproOptions write;
  write.max_request_bytes = options_.max_repro_request_bytes;
  for (int n = 0; n < 100; ++n) {
    std::string path = n == 0 ? absl::StrCat(stem, ".repro")
                              : absl::StrCat(stem, "-", n, ".repro");
    const absl::Status written = WriteRepro(path, *repro, write);
    if (absl::IsAlreadyExists(written)) continue;
    if (!written.ok()) break;
    ++stats_.repros_written;
    entry.repro_path = std::move(path);
    if (record != nullptr) record->repro_path = entry.repro_path;
    return;
  }
  ++stats_.repro_write_errors;
}

HelperPool::Core::KeyRecord* HelperPool::Core::FindKey(const std::string& key) {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : &it->second;
}

HelperPool::Core::KeyRecord& HelperPool::Core::TouchKey(
    const std::string& key) {
  auto it = keys_.find(key);
  if (it != keys_.end()) {
    key_lru_.splice(key_lru_.begin(), key_lru_, it->second.lru);
    return it->second;
  }
  while (!key_lru_.empty() && keys_.size() >= options_.remembered_keys) {
    keys_.erase(key_lru_.back());
    key_lru_.pop_back();
  }
  key_lru_.push_front(key);
  KeyRecord& record = keys_[key];
  record.lru = key_lru_.begin();
  return record;
}

// --- Helpers ---------------------------------------------------------------

int HelperPool::Core::Live() const {
  int live = 0;
  for (const auto& [id, worker] : workers_) {
    if (worker.state == Worker::State::kStarting ||
        worker.state == Worker::State::kReady) {
      ++live;
    }
  }
  return live;
}

int HelperPool::Core::Starting() const {
  int starting = 0;
  for (const auto& [id, worker] : workers_) {
    if (worker.state == Worker::State::kStarting) ++starting;
  }
  return starting;
}

void HelperPool::Core::Dispatch() {
  if (shutting_down_ || destroying_) return;
  while (!waiting_.empty() && queue_.size() < options_.max_queued) {
    Entry& entry = tasks_.at(waiting_.front());
    waiting_.pop_front();
    entry.where = Entry::Where::kQueued;
    queue_.push_back(entry.id);
  }
  while (!queue_.empty()) {
    // The ready helper with the fewest tasks in flight.
    Worker* best = nullptr;
    for (auto& [id, worker] : workers_) {
      if (worker.state != Worker::State::kReady ||
          worker.helper->state() != HelperProcess::State::kReady ||
          static_cast<int>(worker.tasks.size()) >= options_.calls_per_helper) {
        continue;
      }
      if (best == nullptr || worker.tasks.size() < best->tasks.size()) {
        best = &worker;
      }
    }
    if (best == nullptr) break;
    StartRun(tasks_.at(queue_.front()), *best);
  }
  ScaleUp();
}

void HelperPool::Core::ScaleUp() {
  if (shutting_down_ || destroying_ || backing_off_ || !role_error_.ok()) {
    return;
  }
  const int live = Live();
  const size_t pending = queue_.size() + waiting_.size();
  const int per_helper = options_.calls_per_helper;
  // Helpers the queued tasks need beyond those starting (after Dispatch, the
  // ready ones have no room left when anything is queued).
  const int for_queue =
      static_cast<int>((pending + per_helper - 1) / per_helper) - Starting();
  int launches = std::min(std::max(options_.min_helpers - live, for_queue),
                          options_.max_helpers - live);
  // A launch may fail the role (CountAgainstRestartPolicy).
  for (; launches > 0 && !backing_off_ && role_error_.ok(); --launches) {
    Launch();
  }
}

void HelperPool::Core::Launch() {
  Host::LaunchOverrides overrides = options_.launch;
  overrides.restart = false;
  ++stats_.launches;
  absl::StatusOr<HelperProcess*> launched =
      host_.Launch(options_.role, std::move(overrides),
                   [this, alive = std::weak_ptr<bool>(alive_)](
                       absl::StatusOr<HelperProcess*> helper) {
                     if (!alive.expired()) OnReady(helper);
                   });
  if (!launched.ok()) {
    ExitInfo exit;
    exit.kind = ExitKind::kLaunchFailed;
    exit.launch_status = launched.status();
    exit.role = options_.role;
    // Counted first: when it fails the role, the queue fails with that.
    host_.CountAgainstRestartPolicy(exit);
    OnLaunchFailure(exit);
    return;
  }
  Worker& worker = workers_[(*launched)->id()];
  worker.id = (*launched)->id();
  worker.helper = *launched;
  host_.WatchExit(worker.id, [this, id = worker.id](const ExitInfo& exit) {
    OnExit(id, exit);
  });
}

void HelperPool::Core::OnReady(absl::StatusOr<HelperProcess*> helper) {
  // A launch that ended first is handled by OnExit, with its ExitInfo.
  if (!helper.ok()) return;
  auto it = workers_.find((*helper)->id());
  if (it == workers_.end() || it->second.state != Worker::State::kStarting) {
    return;
  }
  Worker& worker = it->second;
  worker.state = Worker::State::kReady;
  worker.ready_at = worker.idle_since = absl::Now();
  launch_failures_in_row_ = 0;
  launch_error_ = absl::OkStatus();
  if (shutting_down_) {
    StopWorker(worker, "helper pool shut down");
    return;
  }
  Dispatch();
}

void HelperPool::Core::OnExit(uint64_t id, const ExitInfo& exit) {
  auto node = workers_.extract(id);
  if (node.empty()) return;
  Worker& worker = node.mapped();
  const bool was_starting = worker.state == Worker::State::kStarting;
  // Killed at a task's deadline: the pool's doing (kill_on_deadline).
  if (exit.kind == ExitKind::kDeadlineKilled) worker.ended_by_pool = true;
  if (!worker.ended_by_pool) ++stats_.helper_deaths;
  for (uint64_t task : worker.tasks) {
    auto it = tasks_.find(task);
    if (it == tasks_.end()) continue;
    OnTaskHelperDied(it->second, exit, /*blame=*/!worker.ended_by_pool);
  }
  // Its death counts against the role's restart policy, as the host's own
  // restarts do; past the limit the role fails (OnRoleFailed, from inside
  // this call).
  if (!worker.ended_by_pool && !shutting_down_) {
    host_.CountAgainstRestartPolicy(exit);
  }
  if (shutting_down_) {
    MaybeFinishShutdown();
    return;
  }
  if (was_starting && !worker.ended_by_pool) {
    OnLaunchFailure(exit);
  } else if (!worker.ended_by_pool && worker.tasks.empty()) {
    // Died idle: back off as after a failed launch (without failing the
    // queue), so that a role that dies by itself is not relaunched in a loop.
    ++launch_failures_in_row_;
    BackOff();
  }
  Dispatch();
}

void HelperPool::Core::BackOff() {
  // launch_backoff, doubled for each failure in a row after the first.
  absl::Duration backoff = options_.launch_backoff;
  for (int i = 1;
       i < launch_failures_in_row_ && backoff < options_.max_launch_backoff;
       ++i) {
    backoff *= 2;
  }
  backing_off_ = true;
  StartTimer(
      backoff_timer_.get(),
      [](uv_timer_t* timer) {
        Core* core = static_cast<Core*>(timer->data);
        core->backing_off_ = false;
        core->Dispatch();
      },
      std::min(backoff, options_.max_launch_backoff));
}

void HelperPool::Core::OnLaunchFailure(const ExitInfo& exit) {
  ++stats_.launch_failures;
  if (!role_error_.ok()) return;  // Its tasks have failed with that.
  ++launch_failures_in_row_;
  launch_error_ =
      AttachExitInfo(absl::UnavailableError(absl::StrCat(
                         "role '", options_.role,
                         "' could not launch a helper: ", exit.Describe())),
                     exit);
  BackOff();
  if (Live() == 0) FailAllQueued(launch_error_);
}

void HelperPool::Core::OnRoleFailed(const std::string& why) {
  ExitInfo last;
  bool has_last = false;
  if (auto it = host_.role_exits().find(options_.role);
      it != host_.role_exits().end()) {
    last = it->second.last;
    has_last = true;
  }
  absl::Status failed = absl::FailedPreconditionError(absl::StrCat(
      "role '", options_.role, "' failed (", why,
      "): the helper pool runs no more tasks",
      has_last ? absl::StrCat("; its last helper ", last.Describe()) : ""));
  role_error_ = has_last ? AttachExitInfo(std::move(failed), last) : failed;
  if (shutting_down_ || destroying_) return;
  uv_timer_stop(backoff_timer_.get());
  backing_off_ = false;
  FailAllQueued(role_error_);
  // Starting helpers are killed; ready ones finish the tasks they hold and
  // are stopped, taking no more.
  for (auto& [id, worker] : workers_) {
    if (worker.state == Worker::State::kStarting) {
      KillHelper(worker, "its role failed");
    } else if (worker.state == Worker::State::kReady) {
      worker.state = Worker::State::kDraining;
      worker.drain_reason = "its role failed";
      if (worker.tasks.empty()) StopWorker(worker, worker.drain_reason);
    }
  }
}

void HelperPool::Core::Retire(Worker& worker, const std::string& why) {
  ++stats_.recycled;
  worker.state = Worker::State::kDraining;
  worker.drain_reason = why;
  if (worker.tasks.empty()) {
    StopWorker(worker, why);
  }
  ScaleUp();
}

void HelperPool::Core::StopWorker(Worker& worker, const std::string& why) {
  worker.state = Worker::State::kStopping;
  worker.ended_by_pool = true;
  if (worker.helper != nullptr) {
    ++calling_helper_;
    worker.helper->Stop(options_.stop_grace, why);
    --calling_helper_;
  }
}

void HelperPool::Core::Check() {
  if (shutting_down_) return;
  const absl::Time now = absl::Now();
  int live = Live();
  std::vector<std::pair<uint64_t, std::string>> retire;
  std::vector<uint64_t> idle;
  for (auto& [id, worker] : workers_) {
    if (worker.state != Worker::State::kReady) continue;
    if (options_.recycle_after > absl::ZeroDuration() &&
        now - worker.ready_at >= options_.recycle_after) {
      retire.emplace_back(id, "recycled after its lifetime");
      continue;
    }
    if (options_.recycle_above_resident_bytes > 0 && worker.helper->pid() > 0) {
      absl::StatusOr<ProcessUsage> usage =
          GetProcessUsage(worker.helper->pid());
      if (usage.ok() &&
          usage->resident_bytes > options_.recycle_above_resident_bytes) {
        retire.emplace_back(id,
                            absl::StrCat("recycled at ", usage->resident_bytes,
                                         " resident bytes"));
        continue;
      }
    }
    if (worker.tasks.empty() && queue_.empty() &&
        now - worker.idle_since >= options_.idle_timeout &&
        live > options_.min_helpers) {
      idle.push_back(id);
      --live;
    }
  }
  for (uint64_t id : idle) {
    ++stats_.scaled_down;
    StopWorker(workers_.at(id), "idle");
  }
  for (auto& [id, why] : retire) Retire(workers_.at(id), why);
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

void HelperPool::Core::KillHelper(Worker& worker, const std::string& why) {
  worker.state = Worker::State::kStopping;
  worker.ended_by_pool = true;
  ++calling_helper_;
  worker.helper->Kill(HostAction::kKillRequested, why);
  --calling_helper_;
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
