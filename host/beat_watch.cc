#include "host/beat_watch.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/time/clock.h"

namespace bulkhead {

BeatWatch::BeatWatch(uv_loop_t* loop, absl::Duration fresh_for)
    : fresh_for_ns_(static_cast<uint64_t>(
          absl::ToInt64Nanoseconds(std::max(absl::ZeroDuration(), fresh_for)))),
      last_beat_ns_(uv_hrtime()),
      deadline_(loop) {
  deadline_->data = this;
}

BeatWatch::~BeatWatch() { BH_DCHECK_ON_LOOP_THREAD(loop_thread_); }

void BeatWatch::OnBeat() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  ++beats_;
  last_beat_ns_ = uv_hrtime();
  if (waiting_) Answer(absl::Nanoseconds(last_beat_ns_ - waiting_since_ns_));
}

void BeatWatch::Ping(absl::Time deadline, Done done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  // Answered last, since an answer may destroy this object.
  Done replaced = std::move(waiting_);
  waiting_ = nullptr;
  uv_timer_stop(deadline_.get());
  const uint64_t now_ns = uv_hrtime();
  if (now_ns - last_beat_ns_ <= fresh_for_ns_) {
    done(absl::ZeroDuration());
  } else {
    waiting_ = std::move(done);
    waiting_since_ns_ = now_ns;
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

void BeatWatch::Cancel(absl::Status status) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (waiting_) Answer(std::move(status));
}

std::optional<absl::Duration> BeatWatch::Overdue() const {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  const uint64_t silent_ns = uv_hrtime() - last_beat_ns_;
  if (silent_ns <= fresh_for_ns_) return std::nullopt;
  return absl::Nanoseconds(silent_ns);
}

void BeatWatch::Answer(absl::StatusOr<absl::Duration> result) {
  uv_timer_stop(deadline_.get());
  Done done = std::move(waiting_);
  waiting_ = nullptr;
  if (done) done(std::move(result));  // May destroy this object: last.
}

}  // namespace bulkhead
