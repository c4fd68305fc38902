#include "host/supervisor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "host/restart_scheduler.h"

namespace bulkhead {

Supervisor::Supervisor(Host& host, Events events)
    : host_(host),
      events_(std::move(events)),
      restarts_(std::make_unique<RestartScheduler>(
          host_.loop(),
          [this](const std::string& role, const std::string& why) {
            if (events_.on_role_failed) events_.on_role_failed(role, why);
          })) {
  host_.SetExitHandler([this](const ExitInfo& exit) { OnExit(exit); });
}

Supervisor::~Supervisor() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  host_.SetExitHandler(nullptr);
  StopRestarting();
}

void Supervisor::StopRestarting() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  restarts_->Stop();
}

absl::Status Supervisor::Supervise(const std::string& role, int count,
                                   RestartPolicy policy) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
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
  roles_.emplace(role, policy);
  for (int i = 0; i < count; ++i) Launch(role);
  return absl::OkStatus();
}

absl::Status Supervisor::Spawn(const std::string& role) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (!roles_.contains(role)) {
    return absl::FailedPreconditionError(
        absl::StrCat("role '", role, "' is not supervised"));
  }
  if (restarts_->failed(role)) {
    return absl::FailedPreconditionError(
        absl::StrCat("role '", role, "' has failed"));
  }
  if (restarts_->stopped()) {
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
  // The helper is the host's and may report Ready after this is destroyed.
  std::weak_ptr<bool> alive = alive_;
  absl::StatusOr<HelperProcess*> launched =
      host_.Launch(role, std::move(overrides),
                   [this, alive](absl::StatusOr<HelperProcess*> helper) {
                     if (alive.expired()) return;
                     if (helper.ok() && events_.on_started)
                       events_.on_started(**helper);
                   });
  if (launched.ok()) return;
  // Never spawned: counts against the restart intensity like any other end,
  // reported on the next turn (never inside Supervise or Spawn).
  ExitInfo exit;
  exit.kind = ExitKind::kLaunchFailed;
  exit.launch_status = launched.status();
  exit.role = role;
  // Through the host's queue, which any thread the loop passes to runs.
  host_.Post(
      [this, alive = std::weak_ptr<bool>(alive_), exit = std::move(exit)] {
        if (!alive.expired()) OnExit(exit);
      });
}

void Supervisor::OnExit(const ExitInfo& exit) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  auto report = [this, &exit](std::optional<absl::Duration> restart_in) {
    if (events_.on_exited) events_.on_exited(exit, restart_in);
  };
  auto it = roles_.find(exit.role);
  if (it == roles_.end()) {
    report(std::nullopt);
    return;
  }
  // The role's failure, when this exit causes it, is told after `on_exited`.
  restarts_->OnExit(
      exit, it->second, [this, role = exit.role] { Launch(role); }, report);
}

int Supervisor::restarts(absl::string_view role) const {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  return restarts_->restarts(role);
}

bool Supervisor::failed(absl::string_view role) const {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  return restarts_->failed(role);
}

}  // namespace bulkhead
