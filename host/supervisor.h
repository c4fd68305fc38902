// Keeps roles' helpers running: starts `count` helpers of a role and, when one
// ends, starts a replacement (with a new helper id) as the role's
// RestartPolicy says, or marks the role failed and says so, never looping.
// For apps that want the events with the restart delay, `Spawn`, or a fixed
// count per role; Host::Options::default_restart_policy restarts helpers
// without one. Its helpers are launched with LaunchOverrides::restart false,
// so the host's own policy never restarts them a second time.
//
// Thread: the host's loop thread (checked in debug builds).
#ifndef BULKHEAD_HOST_SUPERVISOR_H_
#define BULKHEAD_HOST_SUPERVISOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"
#include "common/loop_thread_checker.h"
#include "host/host.h"
#include "host/restart_policy.h"

namespace bulkhead {

class RestartScheduler;  // Internal (restart_scheduler.h).

class BULKHEAD_EXPORT Supervisor {
 public:
  struct Events {
    // A helper (first or replacement) reported Ready.
    absl::AnyInvocable<void(HelperProcess& helper)> on_started;
    // A helper ended; `restart_in` is set when a replacement is scheduled.
    absl::AnyInvocable<void(const ExitInfo& exit,
                            std::optional<absl::Duration> restart_in)>
        on_exited;
    // The role exceeded its restart intensity and gets no more helpers.
    absl::AnyInvocable<void(const std::string& role, const std::string& why)>
        on_role_failed;
  };

  // Takes over `host`'s exit handler. `host` (not owned) must outlive this.
  Supervisor(Host& host, Events events);
  // Gives up the host's exit handler and cancels pending restarts. Helpers
  // keep running (they are the host's), but no event of this supervisor runs
  // after. May be called from inside one of its own events.
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts `count` helpers of `role` and keeps them running. Errors: the role
  // is already supervised, `count` < 1, or the host refused the role. No
  // event runs inside this call (or `Spawn`): a launch refused at once is
  // reported as kLaunchFailed on the next turn of the loop.
  absl::Status Supervise(const std::string& role, int count,
                         RestartPolicy policy);

  // Starts one more helper of a supervised role, kept running like the
  // others. FailedPrecondition when the role is not supervised, has failed,
  // or restarting has stopped.
  absl::Status Spawn(const std::string& role);
  bool supervises(absl::string_view role) const {
    return roles_.find(role) != roles_.end();
  }

  // No more restarts (call before Host::Shutdown).
  void StopRestarting();

  int restarts(absl::string_view role) const;
  bool failed(absl::string_view role) const;

 private:
  void Launch(const std::string& role);
  void OnExit(const ExitInfo& exit);

  Host& host_;  // Not owned.
  Events events_;
  // The supervised roles, with their policies.
  std::map<std::string, RestartPolicy, std::less<>> roles_;
  // Expires with this: the launches' on_ready callbacks and the reports of
  // launches refused at once, which the host may run after this is gone,
  // check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Decides and schedules the restarts; destroyed first, cancelling them.
  std::unique_ptr<RestartScheduler> restarts_;
  LoopThreadChecker loop_thread_{"Supervisor"};
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_SUPERVISOR_H_
