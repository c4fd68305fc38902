#include "host/restart_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace bulkhead {

const char* RestartModeName(RestartPolicy::Mode mode) {
  switch (mode) {
    case RestartPolicy::Mode::kNever:
      return "never";
    case RestartPolicy::Mode::kOnFailure:
      return "on_failure";
    case RestartPolicy::Mode::kAlways:
      return "always";
  }
  return "?";
}

RestartTracker::Decision RestartTracker::OnExit(const ExitInfo& exit,
                                                absl::Time now,
                                                double random01) {
  Decision decision;
  if (failed_) {
    decision.role_failed = true;
    decision.reason = "the role has already failed";
    return decision;
  }
  if (exit.kind == ExitKind::kHostShutdown) {
    decision.reason = "the host is shutting down";
    return decision;
  }
  if (exit.kind == ExitKind::kStoppedByHost) {
    // Whoever stopped it decides what comes next (browser_host's `restart`
    // starts the replacement itself).
    decision.reason = "it was stopped on request";
    return decision;
  }
  if (policy_.mode == RestartPolicy::Mode::kNever) {
    decision.reason = "restart policy is never";
    return decision;
  }
  if (policy_.mode == RestartPolicy::Mode::kOnFailure &&
      exit.kind == ExitKind::kNormalExit) {
    decision.reason = "it exited normally";
    return decision;
  }
  if (policy_.per_input_deaths && exit.was_ready) {
    // It could start: what it died of was its input, not its role.
    consecutive_ = 0;
    ++total_restarts_;
    decision.restart = true;
    decision.delay = absl::ZeroDuration();
    return decision;
  }
  // A helper that stayed up a whole window was healthy: back off from the
  // start again.
  if (exit.uptime >= policy_.window) consecutive_ = 0;
  while (!recent_.empty() && now - recent_.front() > policy_.window) {
    recent_.pop_front();
  }
  if (static_cast<int>(recent_.size()) >= policy_.max_restarts) {
    failed_ = true;
    decision.role_failed = true;
    decision.reason =
        absl::StrCat(recent_.size(), " restarts within ",
                     absl::FormatDuration(policy_.window), " (the limit is ",
                     policy_.max_restarts, ")");
    return decision;
  }
  const double growth = std::pow(std::max(policy_.multiplier, 1.0),
                                 static_cast<double>(consecutive_));
  absl::Duration delay =
      std::min(policy_.initial_backoff * growth, policy_.max_backoff);
  const double jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  delay *= 1.0 + jitter * (2.0 * random01 - 1.0);
  recent_.push_back(now);
  ++consecutive_;
  ++total_restarts_;
  decision.restart = true;
  decision.delay = std::max(delay, absl::ZeroDuration());
  return decision;
}

}  // namespace bulkhead
