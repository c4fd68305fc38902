#include "host/restart_scheduler.h"

#include <cstdint>
#include <utility>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

struct RestartScheduler::PendingRestart {
  PendingRestart(RestartScheduler* owner, absl::AnyInvocable<void()> restart)
      : owner(owner), timer(owner->loop_), restart(std::move(restart)) {
    timer->data = this;
  }

  RestartScheduler* const owner;
  ipc::UvHandle<uv_timer_t> timer;  // Closed with this.
  absl::AnyInvocable<void()> restart;
};

RestartScheduler::RestartScheduler(uv_loop_t* loop, RoleFailedFn on_role_failed,
                                   Random01Fn random01)
    : loop_(loop),
      on_role_failed_(std::move(on_role_failed)),
      random01_(std::move(random01)) {}

RestartScheduler::~RestartScheduler() { Stop(); }

void RestartScheduler::OnExit(const ExitInfo& exit, const RestartPolicy& policy,
                              absl::AnyInvocable<void()> restart,
                              ReportFn report) {
  if (stopped_) {
    if (report) report(std::nullopt);
    return;
  }
  RestartTracker& tracker =
      trackers_.try_emplace(exit.role, policy).first->second;
  const bool already_failed = tracker.failed();
  const double random01 =
      random01_ ? random01_() : absl::Uniform(bit_gen_, 0.0, 1.0);
  RestartTracker::Decision decision =
      tracker.OnExit(exit, absl::Now(), random01);
  std::optional<absl::Duration> restart_in;
  if (decision.restart) restart_in = decision.delay;
  if (report) {
    std::weak_ptr<bool> alive = alive_;
    report(restart_in);
    if (alive.expired()) return;
  }
  if (restart_in.has_value()) {
    if (!stopped_ && restart) Schedule(*restart_in, std::move(restart));
    return;
  }
  if (decision.role_failed && !already_failed) {  // Said once, when it happens.
    BH_LOG(kError, "role ", exit.role, " failed: ", decision.reason);
    if (on_role_failed_) on_role_failed_(exit.role, decision.reason);
  }
}

void RestartScheduler::Schedule(absl::Duration delay,
                                absl::AnyInvocable<void()> restart) {
  auto pending = std::make_unique<PendingRestart>(this, std::move(restart));
  // A timer counts from the loop's time, read when the iteration began and
  // in whole milliseconds: refreshed, rounded up and one more millisecond, the
  // delay counts from now, however long this iteration has run.
  uv_update_time(loop_);
  const absl::Duration timeout =
      absl::Ceil(delay, absl::Milliseconds(1)) + absl::Milliseconds(1);
  uv_timer_start(pending->timer.get(), OnTimer,
                 static_cast<uint64_t>(absl::ToInt64Milliseconds(timeout)), 0);
  PendingRestart* key = pending.get();
  pending_.emplace(key, std::move(pending));
}

void RestartScheduler::OnTimer(uv_timer_t* timer) {
  auto* pending = static_cast<PendingRestart*>(timer->data);
  RestartScheduler* self = pending->owner;
  absl::AnyInvocable<void()> restart = std::move(pending->restart);
  self->pending_.erase(pending);  // Closes the timer and frees `pending`.
  // Last: it may schedule another restart, stop or destroy `self`.
  restart();
}

void RestartScheduler::Stop() {
  stopped_ = true;
  // Moved out first: a cancelled callback's captures may reach back in.
  auto cancelled = std::move(pending_);
  pending_.clear();
}

int RestartScheduler::restarts(absl::string_view role) const {
  auto it = trackers_.find(role);
  return it == trackers_.end() ? 0 : it->second.restarts();
}

bool RestartScheduler::failed(absl::string_view role) const {
  auto it = trackers_.find(role);
  return it != trackers_.end() && it->second.failed();
}

}  // namespace bulkhead
