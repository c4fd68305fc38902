// Host's restarts: helpers launched under a restart policy
// (Options::default_restart_policy, RoleOptions::restart_policy) are replaced
// when they end, with the host's RestartScheduler deciding when and whether.
#include <memory>
#include <string>
#include <utility>

#include "host/host.h"
#include "host/restart_scheduler.h"

namespace bulkhead {

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
  if (policy == nullptr) return;
  // After Shutdown (which stops `restarts_`) this decides nothing.
  restarts_->OnExit(
      exit, *policy,
      [this, role = exit.role, overrides = std::move(overrides)]() mutable {
        Restart(role, std::move(overrides));
      });
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
  CountExit(exit);
  if (exit_handler_) exit_handler_(exit);
  MaybeRestart(exit, std::move(overrides));
}

int Host::restarts(absl::string_view role) const {
  return restarts_->restarts(role);
}

bool Host::role_failed(absl::string_view role) const {
  return restarts_->failed(role);
}

}  // namespace bulkhead
