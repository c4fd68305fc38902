// Watches one helper while it runs: a Ping every `interval` (a tenth more at
// most: the ticks of all the heartbeats of a loop fall on one grid,
// ipc/beat_grid.h, so many helpers cost the host few wake-ups), and a verdict
// when a Pong does not come back within `timeout` while the helper is not busy
// on a call within its deadline (hung), or when the helper sends more frames
// per second than allowed (flooding). The Ping is the PingFn's to make: a
// HelperProcess answers it from the Beats its helper sends by itself
// (host/beat_watch.h) and writes the helper nothing.
//
// Thread: the host's loop thread (checked in debug builds).
#ifndef BULKHEAD_HOST_HEARTBEAT_H_
#define BULKHEAD_HOST_HEARTBEAT_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/loop_thread_checker.h"
#include "host/exit_info.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class Heartbeat {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(1);
    // A Ping unanswered this long means the helper's loop is stuck.
    absl::Duration timeout = absl::Seconds(5);
    // Frames the helper may send per second, averaged over one interval;
    // 0 for no limit.
    uint64_t max_frames_per_second = 200'000;
  };
  // Sends a Ping that must be answered by `deadline`.
  using PingFn = absl::AnyInvocable<void(
      absl::Time deadline,
      absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)> done)>;
  // Frames received from the helper so far.
  using FramesFn = absl::AnyInvocable<uint64_t()>;
  // Called at most once, with what to do and why.
  using VerdictFn = absl::AnyInvocable<void(HostAction, std::string detail)>;
  // Until when the helper is busy on a call whose deadline has not passed
  // (the latest such deadline), or nothing when it is not.
  using BusyFn = absl::AnyInvocable<std::optional<absl::Time>()>;

  // Busy is not hung: an unanswered Ping convicts the helper as hung only
  // when `busy` (optional) says it has no call in flight within its
  // deadline, and sent that Ping while it had none (a Ping sent while a
  // handler ran waits behind it, and may be answered late by a helper that is
  // not hung). A handler may so block the helper's loop up to its call's
  // deadline; once every deadline has passed, a helper that still answers
  // nothing is convicted at most 1.1 x `interval` + 2 x `timeout` later
  // (3.3 x `interval` + 2 x `timeout` with a HelperProcess's PingFn, where a
  // Beat sent just before its loop stuck answers up to two more ticks:
  // host/beat_watch.h).
  Heartbeat(uv_loop_t* loop, Options options, PingFn ping, FramesFn frames,
            VerdictFn verdict, BusyFn busy = nullptr);

  // InvalidArgument, naming `what`, unless the interval and the timeout are
  // both at least a millisecond (the loop's clock): the host checks every
  // heartbeat it is given (Host::Create, Host::Launch).
  static absl::Status CheckOptions(const Options& options,
                                   absl::string_view what);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void Start();
  void Stop();

  // The loop passes to another thread (see ipc::Channel's).
  void DetachFromLoopThread() { loop_thread_.Detach(); }

 private:
  // Ticks fall on the slots of ipc/beat_grid.h (a tenth of the interval), so
  // a Ping goes out between one interval and one interval and a slot after
  // the last.
  void ScheduleTick();
  void OnTick();
  void Convict(HostAction action, std::string detail);

  const Options options_;
  PingFn ping_;
  FramesFn frames_;
  VerdictFn verdict_;
  BusyFn busy_;
  ipc::UvHandle<uv_timer_t> timer_;
  bool ping_outstanding_ = false;
  uint64_t frames_at_last_tick_ = 0;
  uint64_t last_tick_ns_ = 0;
  // Ping completions may outlive this object (they run when the channel
  // cancels them).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  LoopThreadChecker loop_thread_{"Heartbeat"};
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_HEARTBEAT_H_
