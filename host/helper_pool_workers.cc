// HelperPool's helpers: dispatch, launching and scaling, launch failures
// and back-off, a failed role, recycling. See host/helper_pool_core.h.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/process_info.h"
#include "host/exit_info_status.h"
#include "host/helper_pool_core.h"

namespace bulkhead {

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
  } else if (!worker.ended_by_pool && worker.tasks.empty() &&
             !worker.died_in_task) {
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

void HelperPool::Core::KillHelper(Worker& worker, const std::string& why) {
  worker.state = Worker::State::kStopping;
  worker.ended_by_pool = true;
  ++calling_helper_;
  worker.helper->Kill(HostAction::kKillRequested, why);
  --calling_helper_;
}

}  // namespace bulkhead
