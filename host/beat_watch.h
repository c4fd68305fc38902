// Answers a helper's heartbeat (host/heartbeat.h) from the Beats the helper
// sends by itself (helper/beat_sender.h) rather than from a Ping written to
// it. The host then writes nothing to an idle helper: on this 2-core VM a
// write that wakes a sleeping helper cost the host ~11 us of its ~27 us per
// Ping (perf, 1,000 idle helpers), and a helper's own timer wakes it for less.
//
// A Beat is fresh for `fresh_for` after it arrives (the owner passes its
// interval and two grid slots, 1.2 x the interval: a helper whose loop ran
// one Beat late, a slot after its grid's, still counts as on time). The
// heartbeat's Ping is answered at once while the last Beat is fresh, else by
// the next Beat, else with DEADLINE_EXCEEDED at its deadline: a hung helper
// sends no Beat and is convicted as a Ping left unanswered was, up to
// `fresh_for` later than a Ping would have found it out.
//
// A helper can forge Beats (from another thread while its loop is stuck, say)
// as it could forge Pongs; the heartbeat watches for bugs, not for lies, and
// a flood of Beats is counted as any frames are.
//
// Thread: the host's loop thread (checked in debug builds).
#ifndef BULKHEAD_HOST_BEAT_WATCH_H_
#define BULKHEAD_HOST_BEAT_WATCH_H_

#include <uv.h>

#include <cstdint>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/loop_thread_checker.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class BeatWatch {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)>;

  // Counts as if a Beat had arrived now: a helper that has just become
  // ready has a full `fresh_for` before its first is due.
  BeatWatch(uv_loop_t* loop, absl::Duration fresh_for);
  // A Ping still waiting is dropped unanswered.
  ~BeatWatch();
  BeatWatch(const BeatWatch&) = delete;
  BeatWatch& operator=(const BeatWatch&) = delete;

  // A Beat arrived from the helper.
  void OnBeat();

  // The heartbeat's Ping (Heartbeat::PingFn). `done` runs once: inside this
  // call with a zero Duration while the last Beat is fresh; later, on the
  // loop, with how long it waited when the next Beat comes, with
  // DEADLINE_EXCEEDED at `deadline`, or with Cancel's status. A Ping made
  // while one waits answers the waiting one with CANCELLED.
  void Ping(absl::Time deadline, Done done);

  // Answers a waiting Ping with `status` (not OK) at once: the helper is on
  // its way out, and a Beat that will not come must not convict it.
  void Cancel(absl::Status status);

  // How long since the last Beat (or since this object was made), once that
  // is longer than `fresh_for`: the helper is unresponsive. Nothing while the
  // last Beat is fresh.
  std::optional<absl::Duration> Overdue() const;

  uint64_t beats() const { return beats_; }

  // The loop passes to another thread (see ipc::Channel's).
  void DetachFromLoopThread() { loop_thread_.Detach(); }

 private:
  void Answer(absl::StatusOr<absl::Duration> result);

  const uint64_t fresh_for_ns_;
  uint64_t beats_ = 0;
  uint64_t last_beat_ns_;  // uv_hrtime().
  Done waiting_;
  uint64_t waiting_since_ns_ = 0;  // uv_hrtime().
  ipc::UvHandle<uv_timer_t> deadline_;
  LoopThreadChecker loop_thread_{"BeatWatch"};
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_BEAT_WATCH_H_
