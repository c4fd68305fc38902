// The adversarial suite's loop-stall check (reference_ticker.h): the machine's
// own lateness excuses the loop's only when both were late at once.
#include "reference_ticker.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace adversarial {
namespace {

using absl::Milliseconds;

TEST(LoopLagTest, TheMachineLateAtOnceExcusesTheLoop) {
  LoopLag lag;
  lag.Add(Milliseconds(1), Milliseconds(0));
  lag.Add(Milliseconds(700), Milliseconds(690));
  EXPECT_EQ(lag.max_loop(), Milliseconds(700));
  EXPECT_EQ(lag.max_machine(), Milliseconds(690));
  EXPECT_EQ(lag.max_stall(), Milliseconds(10));
}

// A case whose helper loads the machine for a moment (a memory or fork bomb)
// and whose end then blocks the host's loop: the two are seconds apart, and
// the first must not hide the second.
TEST(LoopLagTest, TheMachineLateAtAnotherTimeDoesNotHideAStall) {
  LoopLag lag;
  lag.Add(Milliseconds(600), Milliseconds(600));  // The machine, busy.
  lag.Add(Milliseconds(0), Milliseconds(0));
  lag.Add(Milliseconds(700), Milliseconds(0));  // The host's own stall.
  EXPECT_EQ(lag.max_stall(), Milliseconds(700));
}

// Read at once, before the ticker's thread has run: no lag yet, not the time
// since the epoch.
TEST(ReferenceTickerTest, ANewTickerIsNotLate) {
  for (int i = 0; i < 50; ++i) {
    ReferenceTicker ticker(Milliseconds(20));
    ASSERT_LT(ticker.TakeMaxLag(), absl::Seconds(10)) << "ticker " << i;
  }
}

}  // namespace
}  // namespace adversarial
