#include "reference_ticker.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace adversarial {
namespace {

int64_t NowNs() { return absl::GetCurrentTimeNanos(); }

void RaiseTo(std::atomic<int64_t>& value, int64_t candidate) {
  int64_t seen = value.load();
  while (candidate > seen && !value.compare_exchange_weak(seen, candidate)) {
  }
}

}  // namespace

// Due from now on: read before its thread has run, it is not late.
ReferenceTicker::ReferenceTicker(absl::Duration tick)
    : tick_(tick),
      due_ns_(NowNs() + absl::ToInt64Nanoseconds(tick)),
      thread_([this] { Run(); }) {}

ReferenceTicker::~ReferenceTicker() {
  stop_ = true;
  thread_.join();
}

absl::Duration ReferenceTicker::TakeMaxLag() {
  // A tick overdue now counts: the ticker may not have run since.
  const int64_t overdue = NowNs() - due_ns_.load();
  const int64_t lag = std::max(max_lag_ns_.exchange(0), overdue);
  return absl::Nanoseconds(std::max<int64_t>(lag, 0));
}

void ReferenceTicker::Run() {
  const int64_t tick_ns = absl::ToInt64Nanoseconds(tick_);
  while (!stop_) {
    due_ns_ = NowNs() + tick_ns;
    absl::SleepFor(tick_);
    RaiseTo(max_lag_ns_, NowNs() - due_ns_.load());
  }
}

void LoopLag::Add(absl::Duration loop_late, absl::Duration machine_late) {
  max_loop_ = std::max(max_loop_, loop_late);
  max_machine_ = std::max(max_machine_, machine_late);
  // Only the machine's lateness over the same stretch excuses the loop's.
  max_stall_ = std::max(max_stall_, loop_late - machine_late);
}

}  // namespace adversarial
