#include "ipc/beat_grid.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace bulkhead::ipc {
namespace {

// Whatever the moment, the delay lands on a slot (a tenth of the period) at
// least `ahead` away and less than a slot further: helpers that beat, and
// heartbeats that tick, at different moments meet in the same slots.
TEST(BeatGridTest, DelaysLandOnTheFirstSlotFarEnoughAhead) {
  for (uint64_t period : {1u, 7u, 10u, 100u, 1000u, 1003u}) {
    const uint64_t slot =
        period / kBeatSlotsPerPeriod > 0 ? period / kBeatSlotsPerPeriod : 1;
    for (uint64_t now = 1'000'000; now < 1'000'000 + 2 * period + 3; ++now) {
      for (uint64_t ahead : {uint64_t{0}, uint64_t{1}, period / 2, period}) {
        const uint64_t delay = MillisToBeatSlot(now, period, ahead);
        EXPECT_EQ((now + delay) % slot, 0u)
            << "period " << period << " now " << now << " ahead " << ahead;
        EXPECT_GE(delay, ahead);
        EXPECT_LT(delay, ahead + slot);
      }
    }
  }
}

TEST(BeatGridTest, TwoMomentsInOneSlotMeetInTheSameSlot) {
  // 1,000 ms period: 100 ms slots. Moments 3 and 97 ms into one slot.
  EXPECT_EQ(5'003 + MillisToBeatSlot(5'003, 1000, 1000),
            5'097 + MillisToBeatSlot(5'097, 1000, 1000));
}

}  // namespace
}  // namespace bulkhead::ipc
