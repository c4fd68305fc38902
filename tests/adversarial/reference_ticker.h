// How late the machine itself runs a 20 ms tick: a thread of its own, outside
// the host's loop, sleeps 20 ms at a time and records how late it wakes. A
// host loop blocked by its own code is late while this is not; a machine too
// busy to run either is late for both. The loop's lag beyond this one's
// over the same stretch (LoopLag) is the host's own stall.
//
// Thread: any; the ticker runs on its own thread until destroyed.
#ifndef BULKHEAD_TESTS_ADVERSARIAL_REFERENCE_TICKER_H_
#define BULKHEAD_TESTS_ADVERSARIAL_REFERENCE_TICKER_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/time/time.h"

namespace adversarial {

class ReferenceTicker {
 public:
  explicit ReferenceTicker(absl::Duration tick);
  ~ReferenceTicker();
  ReferenceTicker(const ReferenceTicker&) = delete;
  ReferenceTicker& operator=(const ReferenceTicker&) = delete;

  // The longest the ticker woke late since the last call (or since it
  // started), including a tick still overdue now.
  absl::Duration TakeMaxLag();

 private:
  void Run();

  const absl::Duration tick_;
  std::atomic<bool> stop_{false};
  // In nanoseconds: the longest lag, and when the current sleep should end.
  std::atomic<int64_t> max_lag_ns_{0};
  std::atomic<int64_t> due_ns_;
  std::thread thread_;
};

// The loop's lateness for each tick of its timer set against the machine's
// (a ReferenceTicker's TakeMaxLag, read at that tick).
class LoopLag {
 public:
  // One tick of the loop's timer, `loop_late` late; `machine_late`: how late
  // the reference ticker was since the previous tick.
  void Add(absl::Duration loop_late, absl::Duration machine_late);

  absl::Duration max_loop() const { return max_loop_; }
  absl::Duration max_machine() const { return max_machine_; }
  // The longest the loop was later than the machine at the same tick: the
  // host's own stall.
  absl::Duration max_stall() const { return max_stall_; }

 private:
  absl::Duration max_loop_;
  absl::Duration max_machine_;
  absl::Duration max_stall_;
};

}  // namespace adversarial

#endif  // BULKHEAD_TESTS_ADVERSARIAL_REFERENCE_TICKER_H_
