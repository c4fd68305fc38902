#include "host/beat_watch.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"

namespace bulkhead {

BeatWatch::BeatWatch(uv_loop_t* loop) : deadline_(loop) {
  deadline_->data = this;
}

BeatWatch::~BeatWatch() { BH_DCHECK_ON_LOOP_THREAD(loop_thread_); }

void BeatWatch::OnBeat() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  ++beats_;
  if (!waiting_) return;
  beats_at_last_ping_ = beats_;
  Answer(absl::Nanoseconds(uv_hrtime() - waiting_since_ns_));
}

void BeatWatch::Ping(absl::Time deadline, Done done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  // Answered last, since an answer may destroy this object.
  Done replaced = std::move(waiting_);
  waiting_ = nullptr;
  uv_timer_stop(deadline_.get());
  if (beats_ != beats_at_last_ping_) {
    beats_at_last_ping_ = beats_;
    done(absl::ZeroDuration());
  } else {
    waiting_ = std::move(done);
    waiting_since_ns_ = uv_hrtime();
    const absl::Duration left =
        std::max(absl::ZeroDuration(), deadline - absl::Now());
    uv_timer_start(
        deadline_.get(),
        [](uv_timer_t* timer) {
          if (auto* self = static_cast<BeatWatch*>(timer->data)) {
            self->Answer(
                absl::DeadlineExceededError("no Beat by the deadline"));
          }
        },
        static_cast<uint64_t>(
            absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)))),
        0);
  }
  if (replaced) replaced(absl::CancelledError("a newer Ping replaced it"));
}

void BeatWatch::Answer(absl::StatusOr<absl::Duration> result) {
  uv_timer_stop(deadline_.get());
  Done done = std::move(waiting_);
  waiting_ = nullptr;
  if (done) done(std::move(result));  // May destroy this object: last.
}

}  // namespace bulkhead
