// When a supervised helper ends, whether and when to start another:
// exponential backoff with jitter, and Erlang/OTP's restart intensity (at
// most `max_restarts` in any `window`; past it the role is failed instead of
// looping).
#ifndef BULKHEAD_HOST_RESTART_POLICY_H_
#define BULKHEAD_HOST_RESTART_POLICY_H_

#include <deque>
#include <string>

#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "host/exit_info.h"

namespace bulkhead {

struct RestartPolicy {
  enum class Mode {
    kNever,  // A helper that ends stays ended.
    // Restart unless it exited 0 after Ready, or the host shut it down or
    // stopped it (kHostShutdown, kStoppedByHost).
    kOnFailure,
    kAlways,  // Restart unless the host shut it down or stopped it.
  };
  Mode mode = Mode::kOnFailure;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(30);
  double multiplier = 2.0;
  // Each delay is scaled by a random factor in [1 - jitter, 1 + jitter].
  double jitter = 0.1;
  // Intensity: more than `max_restarts` restarts within `window` fail the
  // role.
  int max_restarts = 5;
  absl::Duration window = absl::Seconds(60);
  // "The input killed it": for a service whose helpers die of what they are
  // given (a decoder fed a poisoned file), not of being unable to run. A
  // helper that ends after Ready (ExitInfo::was_ready) is replaced at once,
  // with no backoff, and does not count against the intensity limit; only
  // deaths before Ready (a helper that cannot start) back off and count.
  bool per_input_deaths = false;

  // kOnFailure with `per_input_deaths`: the policy for such a service.
  static RestartPolicy ForPerInputDeaths() {
    RestartPolicy policy;
    policy.per_input_deaths = true;
    return policy;
  }
};

BULKHEAD_EXPORT const char* RestartModeName(RestartPolicy::Mode mode);

// The restart bookkeeping of one role. Pure: time and randomness are passed
// in, so that it is tested without clocks.
class BULKHEAD_EXPORT RestartTracker {
 public:
  explicit RestartTracker(RestartPolicy policy) : policy_(policy) {}

  struct Decision {
    bool restart = false;
    absl::Duration delay;  // When `restart`.
    bool role_failed = false;
    std::string reason;  // Why not restarted, or why failed.
  };

  // A helper of the role ended at `now`. `random01` is uniform in [0, 1).
  Decision OnExit(const ExitInfo& exit, absl::Time now, double random01);

  int restarts() const { return total_restarts_; }
  bool failed() const { return failed_; }

 private:
  const RestartPolicy policy_;
  std::deque<absl::Time> recent_;  // Restarts within the window.
  int consecutive_ = 0;            // Restarts since a helper ran a full window.
  int total_restarts_ = 0;
  bool failed_ = false;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_RESTART_POLICY_H_
