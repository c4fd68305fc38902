// Host's restarts: helpers launched under a restart policy
// (Options::default_restart_policy, RoleOptions::restart_policy) are replaced
// when they end, with the host's RestartScheduler deciding when and whether.
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

void Host::CountAgainstRestartPolicy(const ExitInfo& exit) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  const RestartPolicy* policy = RestartPolicyFor(exit.role);
  if (policy == nullptr || shutting_down_) return;
  // No restart: the caller relaunches itself. Past the limit, OnRoleFailed.
  restarts_->OnExit(exit, *policy, /*restart=*/nullptr);
}

uint64_t Host::WatchRoleFailed(
    absl::string_view role,
    absl::AnyInvocable<void(const std::string& why)> on_failed) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  const uint64_t id = next_role_failed_watch_++;
  role_failed_watches_.emplace(
      id, RoleFailedWatch{std::string(role), std::move(on_failed)});
  return id;
}

void Host::UnwatchRoleFailed(uint64_t watch) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  role_failed_watches_.erase(watch);
}

void Host::OnRoleFailed(const std::string& role, const std::string& why) {
  if (role_failed_handler_) role_failed_handler_(role, why);
  // By id, looked up again each time: a watch may remove itself or others.
  std::vector<uint64_t> ids;
  for (const auto& [id, watch] : role_failed_watches_) {
    if (watch.role == role) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    auto node = role_failed_watches_.extract(id);
    if (!node.empty() && node.mapped().on_failed) {
      node.mapped().on_failed(why);
    }
  }
  if (options_.quit_when_role_fails) {
    // Next turn: the completions decided above (a pool's failed tasks) run in
    // that turn's idle phase, before the loop stops.
    deferred_->Post([this](absl::Status run) {
      if (run.ok()) Quit();
    });
  }
}

int Host::restarts(absl::string_view role) const {
  return restarts_->restarts(role);
}

bool Host::role_failed(absl::string_view role) const {
  return restarts_->failed(role);
}

}  // namespace bulkhead
