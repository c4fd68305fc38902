#include "host/supervisor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"

namespace bulkhead {

struct Supervisor::PendingRestart {
  uv_timer_t* timer;  // Freed by its close callback.
  Supervisor* owner;
  std::string role;
};

Supervisor::Supervisor(Host& host, Events events)
    : host_(host), events_(std::move(events)) {
  host_.SetExitHandler([this](const ExitInfo& exit) { OnExit(exit); });
}

Supervisor::~Supervisor() {
  host_.SetExitHandler(nullptr);
  StopRestarting();
}

void Supervisor::StopRestarting() {
  restarting_ = false;
  for (auto& [key, pending] : pending_) {
    uv_close(reinterpret_cast<uv_handle_t*>(pending->timer),
             [](uv_handle_t* handle) {
               delete reinterpret_cast<uv_timer_t*>(handle);
             });
  }
  pending_.clear();
}

absl::Status Supervisor::Supervise(const std::string& role, int count,
                                   RestartPolicy policy) {
  if (count < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("role '", role, "': count must be at least 1"));
  }
  if (roles_.contains(role)) {
    return absl::AlreadyExistsError(
        absl::StrCat("role '", role, "' is already supervised"));
  }
  // Refuse an unknown role up front, before anything runs.
  if (absl::Status known = host_.CheckRole(role); !known.ok()) return known;
  roles_.emplace(role, Role(policy));
  for (int i = 0; i < count; ++i) Launch(role);
  return absl::OkStatus();
}

absl::Status Supervisor::Spawn(const std::string& role) {
  auto it = roles_.find(role);
  if (it == roles_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("role '", role, "' is not supervised"));
  }
  if (it->second.tracker.failed()) {
    return absl::FailedPreconditionError(
        absl::StrCat("role '", role, "' has failed"));
  }
  if (!restarting_) {
    return absl::FailedPreconditionError("the supervisor has stopped");
  }
  Launch(role);
  return absl::OkStatus();
}

void Supervisor::Launch(const std::string& role) {
  // This supervisor restarts its helpers itself: the host must not too
  // (Host::Options::default_restart_policy).
  Host::LaunchOverrides overrides;
  overrides.restart = false;
  absl::StatusOr<HelperProcess*> launched =
      host_.Launch(role, std::move(overrides),
                   [this](absl::StatusOr<HelperProcess*> helper) {
                     if (helper.ok() && events_.on_started)
                       events_.on_started(**helper);
                   });
  if (launched.ok()) return;
  // Never spawned: counts against the restart intensity like any other end.
  ExitInfo exit;
  exit.kind = ExitKind::kLaunchFailed;
  exit.launch_status = launched.status();
  exit.role = role;
  OnExit(exit);
}

void Supervisor::OnExit(const ExitInfo& exit) {
  auto it = roles_.find(exit.role);
  std::optional<absl::Duration> restart_in;
  std::string failed_because;
  if (it != roles_.end() && restarting_) {
    RestartTracker& tracker = it->second.tracker;
    const bool already_failed = tracker.failed();
    const double random01 = absl::Uniform(random_, 0.0, 1.0);
    RestartTracker::Decision decision =
        tracker.OnExit(exit, absl::Now(), random01);
    if (decision.restart) {
      restart_in = decision.delay;
    } else if (decision.role_failed && !already_failed) {
      failed_because = decision.reason;  // Said once, when it happens.
    }
  }
  if (events_.on_exited) events_.on_exited(exit, restart_in);
  if (restart_in.has_value()) {
    ScheduleRestart(exit.role, *restart_in);
  } else if (!failed_because.empty()) {
    BH_LOG(kError, "role ", exit.role, " failed: ", failed_because);
    if (events_.on_role_failed)
      events_.on_role_failed(exit.role, failed_because);
  }
}

void Supervisor::ScheduleRestart(const std::string& role,
                                 absl::Duration delay) {
  auto pending = std::make_unique<PendingRestart>();
  pending->timer = new uv_timer_t;
  pending->owner = this;
  pending->role = role;
  uv_timer_init(host_.loop(), pending->timer);
  pending->timer->data = pending.get();
  uv_timer_start(
      pending->timer,
      [](uv_timer_t* timer) {
        auto* pending = static_cast<PendingRestart*>(timer->data);
        Supervisor* self = pending->owner;
        const std::string role = pending->role;
        uv_close(reinterpret_cast<uv_handle_t*>(timer),
                 [](uv_handle_t* handle) {
                   delete reinterpret_cast<uv_timer_t*>(handle);
                 });
        self->pending_.erase(pending);  // Frees `pending`.
        if (self->restarting_) self->Launch(role);
      },
      static_cast<uint64_t>(absl::ToInt64Milliseconds(delay)), 0);
  PendingRestart* key = pending.get();
  pending_.emplace(key, std::move(pending));
}

int Supervisor::restarts(absl::string_view role) const {
  auto it = roles_.find(role);
  return it == roles_.end() ? 0 : it->second.tracker.restarts();
}

bool Supervisor::failed(absl::string_view role) const {
  auto it = roles_.find(role);
  return it != roles_.end() && it->second.tracker.failed();
}

}  // namespace bulkhead
