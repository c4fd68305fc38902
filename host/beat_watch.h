// Answers a helper's heartbeat (host/heartbeat.h) from the Beats the helper
// sends by itself (helper/beat_sender.h) rather than from a Ping written to
// it. The host then writes nothing to an idle helper: on this 2-core VM a
// write that wakes a sleeping helper cost the host ~11 us of its ~27 us per
// Ping (perf, 1,000 idle helpers), and a helper's own timer wakes it for less.
//
// The heartbeat's Ping is answered at once when a Beat arrived since the
// previous Ping, else by the next Beat, else with DEADLINE_EXCEEDED at its
// deadline: a hung helper sends no Beat and is convicted as a Ping left
// unanswered was. A helper can forge Beats (from another thread, say) as it
// could forge Pongs; the heartbeat watches for bugs, not for lies, and a
// flood of Beats is counted as any frames are.
//
// Thread: the host's loop thread (checked in debug builds).
#ifndef BULKHEAD_HOST_BEAT_WATCH_H_
#define BULKHEAD_HOST_BEAT_WATCH_H_

#include <uv.h>

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/loop_thread_checker.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class BeatWatch {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)>;

  explicit BeatWatch(uv_loop_t* loop);
  // A Ping still waiting is dropped unanswered.
  ~BeatWatch();
  BeatWatch(const BeatWatch&) = delete;
  BeatWatch& operator=(const BeatWatch&) = delete;

  // A Beat arrived from the helper.
  void OnBeat();

  // The heartbeat's Ping (Heartbeat::PingFn). `done` runs once: inside this
  // call with a zero Duration when a Beat arrived since the previous Ping;
  // later, on the loop, with how long it waited when the next Beat comes, or
  // with DEADLINE_EXCEEDED at `deadline`. A Ping made while one waits
  // answers the waiting one with CANCELLED.
  void Ping(absl::Time deadline, Done done);

  uint64_t beats() const { return beats_; }

  // The loop passes to another thread (see ipc::Channel's).
  void DetachFromLoopThread() { loop_thread_.Detach(); }

 private:
  void Answer(absl::StatusOr<absl::Duration> result);

  uint64_t beats_ = 0;
  uint64_t beats_at_last_ping_ = 0;
  Done waiting_;
  uint64_t waiting_since_ns_ = 0;  // uv_hrtime().
  ipc::UvHandle<uv_timer_t> deadline_;
  LoopThreadChecker loop_thread_{"BeatWatch"};
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_BEAT_WATCH_H_
