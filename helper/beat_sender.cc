#include "helper/beat_sender.h"

#include <algorithm>

#include "ipc/beat_grid.h"

namespace bulkhead {

BeatSender::BeatSender(uv_loop_t* loop, ipc::Channel* channel,
                       absl::Duration interval)
    : channel_(channel),
      period_ms_(static_cast<uint64_t>(
          std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(
                                   interval, absl::Milliseconds(1)))))),
      timer_(loop) {
  timer_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_.get()));
}

void BeatSender::Start() { Schedule(/*ahead_ms=*/1); }

void BeatSender::Schedule(uint64_t ahead_ms) {
  uv_timer_start(
      timer_.get(),
      [](uv_timer_t* timer) {
        if (auto* self = static_cast<BeatSender*>(timer->data)) self->OnDue();
      },
      ipc::MillisToBeatSlot(uv_now(timer_->loop), period_ms_, ahead_ms), 0);
}

void BeatSender::OnDue() {
  // From the slot it was due in: a late loop does not shift the grid.
  Schedule(period_ms_ - period_ms_ / ipc::kBeatSlotsPerPeriod / 2);
  ipc::Control beat;
  beat.mutable_beat();
  // A closed channel: the helper is ending, and the host knows.
  if (channel_->SendControl(beat).ok()) ++beats_sent_;
}

}  // namespace bulkhead
