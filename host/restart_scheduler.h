// The one restart engine behind Host's built-in restarts
// (Host::Options::default_restart_policy) and Supervisor: a RestartTracker per
// role, the delayed restart on the loop, cancelling what is pending, and the
// single "role failed" report. Its owner says what a restart is (a callback)
// and whom to tell; the engine decides when, and whether at all.
//
//   RestartScheduler restarts(loop, on_role_failed);
//   // A helper ended:
//   restarts.OnExit(exit, policy, [this, role = exit.role] { Launch(role); });
//
// Thread: the loop's thread only. Construct, call and destroy it there; every
// callback runs there, never from inside the constructor.
//
// Order, for each `OnExit`:
//  1. The role's tracker decides (it is created with `policy` at the role's
//     first exit; later policies for the same role are ignored).
//  2. `report(restart_in)`, when given, runs: `restart_in` is the delay of the
//     restart about to be scheduled, or nullopt when there is none.
//  3. Either a restart is scheduled: `restart` runs once, on the loop, no
//     earlier than the delay after `OnExit` was called (not when `report`
//     stopped or destroyed the scheduler). Or, when this exit took the role
//     past its intensity limit, the constructor's `on_role_failed` runs: once
//     per role, ever (also when `report` stopped the scheduler, not when it
//     destroyed it).
//
// Cancelling: `Stop()` and the destructor cancel every pending restart. Its
// callback never runs and is destroyed (with what it captured) at once; its
// timer is closed, and the timer's memory freed by its close callback when the
// loop next runs (so, with an app's loop, run it once more before closing it).
// After `Stop()`, `OnExit` decides nothing: it only runs `report(nullopt)`.
//
// Re-entrancy: any callback may call `OnExit` (a restart that fails at once
// reports another exit, scheduling the next restart from inside this one),
// `Stop`, or destroy the scheduler: the engine touches nothing of itself after
// a callback that destroyed it returns.
#ifndef BULKHEAD_HOST_RESTART_SCHEDULER_H_
#define BULKHEAD_HOST_RESTART_SCHEDULER_H_

#include <uv.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "host/exit_info.h"
#include "host/restart_policy.h"

namespace bulkhead {

class RestartScheduler {
 public:
  // A role went past its restart policy's intensity limit, and why.
  using RoleFailedFn =
      absl::AnyInvocable<void(const std::string& role, const std::string& why)>;
  // Uniform in [0, 1): scales each delay by the policy's jitter.
  using Random01Fn = absl::AnyInvocable<double()>;
  // What `OnExit`'s caller hears between the decision and the scheduling.
  using ReportFn =
      absl::AnyInvocable<void(std::optional<absl::Duration> restart_in)>;

  // `loop` (not owned) must outlive this and the close callbacks of its
  // timers. `on_role_failed` may be null. `random01` null: a random generator
  // of the scheduler's own.
  RestartScheduler(uv_loop_t* loop, RoleFailedFn on_role_failed,
                   Random01Fn random01 = nullptr);
  // Cancels the pending restarts (see the top).
  ~RestartScheduler();
  RestartScheduler(const RestartScheduler&) = delete;
  RestartScheduler& operator=(const RestartScheduler&) = delete;

  // A helper of `exit.role` ended (see the order at the top). `restart`
  // starts its replacement; null for an owner that replaces its helpers
  // itself and only wants the end counted against the intensity limit (the
  // decision is made and reported, the role may fail, nothing is scheduled).
  void OnExit(const ExitInfo& exit, const RestartPolicy& policy,
              absl::AnyInvocable<void()> restart, ReportFn report = nullptr);

  // Cancels every pending restart and schedules no more. For good: the
  // owner's shutdown.
  void Stop();
  bool stopped() const { return stopped_; }

  // Restarts of `role` decided so far (run, pending, or cancelled by a stop),
  // and whether it has failed. 0 and false for a role never seen.
  int restarts(absl::string_view role) const;
  bool failed(absl::string_view role) const;
  // Restarts scheduled and not yet run nor cancelled.
  size_t pending() const { return pending_.size(); }

 private:
  // One restart waiting for its delay. Closes its timer when destroyed.
  struct PendingRestart;
  static void OnTimer(uv_timer_t* timer);

  void Schedule(absl::Duration delay, absl::AnyInvocable<void()> restart);

  uv_loop_t* const loop_;  // Not owned.
  RoleFailedFn on_role_failed_;
  Random01Fn random01_;
  absl::BitGen bit_gen_;  // When no `random01` was given.
  std::map<std::string, RestartTracker, std::less<>> trackers_;
  std::map<PendingRestart*, std::unique_ptr<PendingRestart>> pending_;
  bool stopped_ = false;
  // Expires with this: tells a callback's caller whether it still exists.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_RESTART_SCHEDULER_H_
