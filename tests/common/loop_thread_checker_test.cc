#include "common/loop_thread_checker.h"

#include <thread>

#include "gtest/gtest.h"

namespace bulkhead {
namespace {

// Death tests here start threads: the child re-runs the test from the start
// instead of forking this process mid-flight.
class LoopThreadCheckerDeathTest : public ::testing::Test {
 protected:
  LoopThreadCheckerDeathTest() {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

TEST(LoopThreadCheckerTest, TheFirstThreadToCheckOwnsIt) {
  LoopThreadChecker checker("Owner");
  std::thread([&] {
    checker.Check("Bind");
    checker.Check("Again");
  }).join();
}

TEST(LoopThreadCheckerTest, AfterDetachTheNextThreadOwnsIt) {
  LoopThreadChecker checker("Owner");
  checker.Check("OnTheTestsThread");
  checker.Detach();
  std::thread([&] {
    checker.Check("OnAnother");
    checker.Detach();
  }).join();
  checker.Check("OnTheTestsThreadAgain");
}

TEST_F(LoopThreadCheckerDeathTest, ACheckOnAnotherThreadAborts) {
  EXPECT_DEATH(
      {
        LoopThreadChecker checker("Owner");
        checker.Check("Bind");
        std::thread([&] { checker.Check("Touch"); }).join();
      },
      "Owner::Touch called on thread .*, but the Owner belongs to its loop's "
      "thread ");
}

TEST_F(LoopThreadCheckerDeathTest, TheMacroChecksInDebugBuildsOnly) {
  LoopThreadChecker checker("Owner");
  checker.Check("Bind");
  auto touch_elsewhere = [&] {
    std::thread([&] { BH_DCHECK_ON_LOOP_THREAD(checker); }).join();
  };
#if BULKHEAD_DCHECK_IS_ON
  EXPECT_DEATH(touch_elsewhere(), "called on thread");
#else
  touch_elsewhere();  // Compiled out: nothing happens.
#endif
}

}  // namespace
}  // namespace bulkhead
