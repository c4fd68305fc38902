// Sends the host a Beat (ipc/proto/envelope.proto) every `interval` from the
// helper's own loop, on the slots of ipc/beat_grid.h: proof that the loop
// runs, which the host's heartbeat takes instead of writing a Ping to the
// helper (host/beat_watch.h). A loop blocked by a deadlock, or a stopped
// process, sends none, and the host convicts it as hung (not while a handler
// blocks it within its call's deadline: busy is not hung, host/heartbeat.h).
//
// The timer does not keep the loop alive (uv_unref): a loop with nothing else
// to do still ends.
//
// Thread: the helper's loop thread.
#ifndef BULKHEAD_HELPER_BEAT_SENDER_H_
#define BULKHEAD_HELPER_BEAT_SENDER_H_

#include <uv.h>

#include <cstdint>

#include "absl/time/time.h"
#include "ipc/channel.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class BeatSender {
 public:
  // `channel` (not owned) must outlive this object. `interval` of at least
  // 1 ms (shorter ones are taken as 1 ms).
  BeatSender(uv_loop_t* loop, ipc::Channel* channel, absl::Duration interval);
  BeatSender(const BeatSender&) = delete;
  BeatSender& operator=(const BeatSender&) = delete;

  // The first Beat goes out on the next slot, then one every interval.
  void Start();

  uint64_t beats_sent() const { return beats_sent_; }

 private:
  void Schedule(uint64_t ahead_ms);
  void OnDue();

  ipc::Channel* const channel_;
  const uint64_t period_ms_;
  uint64_t beats_sent_ = 0;
  ipc::UvHandle<uv_timer_t> timer_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_BEAT_SENDER_H_
