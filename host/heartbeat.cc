#include "host/heartbeat.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc/beat_grid.h"

namespace bulkhead {
namespace {

uint64_t Millis(absl::Duration duration) {
  return static_cast<uint64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(duration, absl::Milliseconds(1))));
}

}  // namespace

absl::Status Heartbeat::CheckOptions(const Options& options,
                                     absl::string_view what) {
  if (options.interval < absl::Milliseconds(1) ||
      options.timeout < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": a heartbeat needs an interval and a timeout of at least 1ms (",
        absl::FormatDuration(options.interval), " and ",
        absl::FormatDuration(options.timeout), " given)"));
  }
  return absl::OkStatus();
}

Heartbeat::Heartbeat(uv_loop_t* loop, Options options, PingFn ping,
                     FramesFn frames, VerdictFn verdict, BusyFn busy)
    : options_(options),
      ping_(std::move(ping)),
      frames_(std::move(frames)),
      verdict_(std::move(verdict)),
      busy_(std::move(busy)),
      timer_(loop) {
  timer_->data = this;
}

Heartbeat::~Heartbeat() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  *alive_ = false;
}

void Heartbeat::Start() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  frames_at_last_tick_ = frames_();
  last_tick_ns_ = uv_hrtime();
  ScheduleTick();
}

void Heartbeat::ScheduleTick() {
  // The first slot at least one interval away, on a grid of the loop's clock
  // that every heartbeat of the loop shares: a host with many helpers wakes
  // once per slot for all the Pings due in it (and reads their Pongs in a few
  // wake-ups), not once per helper for each.
  const uint64_t period = std::max<uint64_t>(1, Millis(options_.interval));
  uv_timer_start(
      timer_.get(),
      [](uv_timer_t* timer) {
        if (auto* self = static_cast<Heartbeat*>(timer->data)) self->OnTick();
      },
      ipc::MillisToBeatSlot(uv_now(timer_->loop), period, period), 0);
}

void Heartbeat::Stop() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  uv_timer_stop(timer_.get());
}

void Heartbeat::OnTick() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  ScheduleTick();  // Stopped again below if this tick convicts.
  const uint64_t now_ns = uv_hrtime();
  const uint64_t frames = frames_();
  if (options_.max_frames_per_second > 0 && now_ns > last_tick_ns_) {
    const double seconds = static_cast<double>(now_ns - last_tick_ns_) / 1e9;
    const double rate =
        static_cast<double>(frames - frames_at_last_tick_) / seconds;
    if (rate > static_cast<double>(options_.max_frames_per_second)) {
      Convict(HostAction::kKilledAsBadMessage,
              absl::StrCat("flooding: ", static_cast<uint64_t>(rate),
                           " messages/s, over the limit of ",
                           options_.max_frames_per_second));
      return;
    }
  }
  frames_at_last_tick_ = frames;
  last_tick_ns_ = now_ns;
  if (ping_outstanding_) return;  // Its deadline will decide.
  ping_outstanding_ = true;
  // A Ping sent while a handler blocks the helper's loop waits behind it:
  // its Pong is owed only once the handler returns, which may be just before
  // this Ping's deadline. Such a Ping never convicts; the next one does.
  const bool sent_while_busy = busy_ && busy_().has_value();
  std::weak_ptr<bool> alive = alive_;
  ping_(absl::Now() + options_.timeout,
        [this, alive, sent_while_busy](absl::StatusOr<absl::Duration> rtt) {
          if (alive.expired() || !*alive.lock()) return;
          ping_outstanding_ = false;
          if (rtt.status().code() == absl::StatusCode::kDeadlineExceeded) {
            // Its loop runs (or ran, when this Ping went out) a call's
            // handler that may take until the call's deadline: the next tick
            // pings again.
            if (sent_while_busy || (busy_ && busy_().has_value())) return;
            Convict(HostAction::kKilledAsHung,
                    absl::StrCat("no Pong within ",
                                 absl::FormatDuration(options_.timeout)));
          }
          // Other errors (the channel closed) are the exit path's business.
        });
}

void Heartbeat::Convict(HostAction action, std::string detail) {
  Stop();
  if (!verdict_) return;
  VerdictFn verdict = std::move(verdict_);
  verdict_ = nullptr;
  verdict(action, std::move(detail));
}

}  // namespace bulkhead
