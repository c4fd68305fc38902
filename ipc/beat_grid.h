// The grid the host's heartbeats tick on and helpers send their Beats on: slots
// of a tenth of the period on the loop's clock (uv_now: the machine's monotonic
// clock in milliseconds, the same in every process). Heartbeats of one loop,
// and the Beats of many helpers, then fall in the same slots: a host with a
// thousand idle helpers wakes about ten times per period for all of them, not
// once per helper for each.
#ifndef BULKHEAD_IPC_BEAT_GRID_H_
#define BULKHEAD_IPC_BEAT_GRID_H_

#include <algorithm>
#include <cstdint>

namespace bulkhead::ipc {

inline constexpr uint64_t kBeatSlotsPerPeriod = 10;

// Milliseconds from `now_ms` to the first slot of `period_ms` / 10 (at least
// 1 ms) that is at least `ahead_ms` away.
inline uint64_t MillisToBeatSlot(uint64_t now_ms, uint64_t period_ms,
                                 uint64_t ahead_ms) {
  const uint64_t slot = std::max<uint64_t>(1, period_ms / kBeatSlotsPerPeriod);
  const uint64_t due = (now_ms + ahead_ms + slot - 1) / slot * slot;
  return due - now_ms;
}

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_BEAT_GRID_H_
