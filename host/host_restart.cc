// Host's restarts: helpers launched under a restart policy
// (Options::default_restart_policy, RoleOptions::restart_policy) are replaced
// when they end, with the role's RestartTracker deciding when and whether.
#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "host/host.h"

namespace bulkhead {

namespace {

void CloseTimer(uv_timer_t* timer) {
  uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* handle) {
    delete reinterpret_cast<uv_timer_t*>(handle);
  });
}

}  // namespace

const RestartPolicy* Host::RestartPolicyFor(absl::string_view role) const {
  if (auto it = options_.role_options.find(role);
      it != options_.role_options.end() &&
      it->second.restart_policy.has_value()) {
    return &*it->second.restart_policy;
  }
  return options_.default_restart_policy.has_value()
             ? &*options_.default_restart_policy
             : nullptr;
}

void Host::MaybeRestart(const ExitInfo& exit, LaunchOverrides overrides) {
  const RestartPolicy* policy = RestartPolicyFor(exit.role);
  if (policy == nullptr || shutting_down_) return;
  RestartTracker& tracker =
      restart_trackers_.try_emplace(exit.role, *policy).first->second;
  const bool already_failed = tracker.failed();
  RestartTracker::Decision decision =
      tracker.OnExit(exit, absl::Now(), absl::Uniform(random_, 0.0, 1.0));
  if (decision.restart) {
    auto pending = std::make_unique<PendingRestart>();
    pending->timer = new uv_timer_t;
    pending->host = this;
    pending->role = exit.role;
    pending->overrides = std::move(overrides);
    uv_timer_init(loop_, pending->timer);
    pending->timer->data = pending.get();
    uv_timer_start(
        pending->timer,
        [](uv_timer_t* timer) {
          auto* pending = static_cast<PendingRestart*>(timer->data);
          Host* host = pending->host;
          std::string role = std::move(pending->role);
          LaunchOverrides overrides = std::move(pending->overrides);
          CloseTimer(timer);
          host->pending_restarts_.erase(pending);  // Frees `pending`.
          host->Restart(role, std::move(overrides));
        },
        static_cast<uint64_t>(absl::ToInt64Milliseconds(decision.delay)), 0);
    PendingRestart* key = pending.get();
    pending_restarts_.emplace(key, std::move(pending));
    return;
  }
  if (decision.role_failed && !already_failed) {  // Said once, when it happens.
    BH_LOG(kError, "role ", exit.role, " failed: ", decision.reason);
    if (role_failed_handler_) role_failed_handler_(exit.role, decision.reason);
  }
}

void Host::Restart(const std::string& role, LaunchOverrides overrides) {
  // The replacement reports Ready through the started handler.
  absl::StatusOr<HelperProcess*> launched =
      Launch(role, overrides, /*on_ready=*/nullptr);
  if (launched.ok() || shutting_down_) return;
  // Never spawned: reported like any other end, and it counts against the
  // restart intensity, so a role that cannot spawn fails instead of looping.
  ExitInfo exit;
  exit.kind = ExitKind::kLaunchFailed;
  exit.launch_status = launched.status();
  exit.role = role;
  if (exit_handler_) exit_handler_(exit);
  MaybeRestart(exit, std::move(overrides));
}

void Host::CancelRestarts() {
  for (auto& [key, pending] : pending_restarts_) CloseTimer(pending->timer);
  pending_restarts_.clear();
}

int Host::restarts(absl::string_view role) const {
  auto it = restart_trackers_.find(role);
  return it == restart_trackers_.end() ? 0 : it->second.restarts();
}

bool Host::role_failed(absl::string_view role) const {
  auto it = restart_trackers_.find(role);
  return it != restart_trackers_.end() && it->second.failed();
}

}  // namespace bulkhead
