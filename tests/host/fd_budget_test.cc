#include "host/fd_budget.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

constexpr FdBudget::Cost kU = FdBudget::kUnsandboxed;
constexpr FdBudget::Cost kS = FdBudget::kSandboxed;

// Room for exactly `launching` more beside what is open and the reserve.
FdBudget WithRoomFor(uint64_t descriptors) {
  return FdBudget(10 + FdBudget::kReserve + descriptors, 50000, 10);
}

TEST(FdBudgetTest, ALaunchHoldsItsLaunchingShareUntilDoneThenItsRunningOne) {
  FdBudget budget = WithRoomFor(kS.launching + kS.running);
  ASSERT_TRUE(budget.Reserve(1, /*sandboxed=*/true, 0).ok());
  EXPECT_EQ(budget.taken(), kS.launching);
  // A second sandboxed launch does not fit while the first is launching...
  EXPECT_TRUE(absl::IsResourceExhausted(budget.Reserve(2, true, 0)));
  budget.LaunchDone(1);
  EXPECT_EQ(budget.taken(), kS.running);
  // ...and does once it runs.
  EXPECT_TRUE(budget.Reserve(2, true, 0).ok());
  budget.Release(1);
  budget.Release(2);
  EXPECT_EQ(budget.taken(), 0u);
  budget.Release(7);  // Unknown: nothing.
  EXPECT_EQ(budget.taken(), 0u);
}

// A launch charged as forked that fell back to exec holds the exec'd running
// share (with its files) from its end on, and gives back all of it.
TEST(FdBudgetTest, ALaunchThatTookAnotherPathHoldsThatPathsShare) {
  constexpr FdBudget::Cost kF = FdBudget::kForkedSandboxed;
  FdBudget budget = WithRoomFor(kS.launching + kS.running + 4);
  ASSERT_TRUE(budget.Reserve(1, kF, 2).ok());
  EXPECT_EQ(budget.taken(), kF.launching + 2);
  budget.LaunchDone(1, kS);
  EXPECT_EQ(budget.taken(), kS.running + 2);
  budget.Release(1);
  EXPECT_EQ(budget.taken(), 0u);
}

TEST(FdBudgetTest, FilesHandedOverCountForTheirHelper) {
  FdBudget budget = WithRoomFor(kU.launching + 3);
  EXPECT_TRUE(absl::IsResourceExhausted(budget.Reserve(1, false, 4)));
  EXPECT_EQ(budget.taken(), 0u);
  ASSERT_TRUE(budget.Reserve(1, false, 3).ok());
  EXPECT_EQ(budget.taken(), kU.launching + 3);
}

TEST(FdBudgetTest, TheRefusalNamesTheLimitAndHowManyFit) {
  FdBudget budget = WithRoomFor(kU.launching + 2 * kU.running);
  EXPECT_EQ(budget.HelpersThatFit(false), 3u);
  for (uint64_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE(budget.Reserve(id, false, 0).ok()) << id;
    budget.LaunchDone(id);
  }
  const absl::Status refused = budget.Reserve(4, false, 0);
  EXPECT_TRUE(absl::IsResourceExhausted(refused));
  const uint64_t soft = 10 + FdBudget::kReserve + kU.launching + 2 * kU.running;
  EXPECT_TRUE(absl::StrContains(
      refused.message(),
      absl::StrCat("no room for helper 4: the limit on open descriptors "
                   "(RLIMIT_NOFILE soft ",
                   soft, ", hard 50000) fits 3 such helpers in all")))
      << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "ulimit -Hn")) << refused;
}

TEST(FdBudgetTest, NoLimitFitsEverything) {
  FdBudget budget(0, 0, 0);
  for (uint64_t id = 1; id <= 100000; ++id) {
    ASSERT_TRUE(budget.Reserve(id, true, 0).ok());
  }
  EXPECT_EQ(budget.Describe(), "no limit on open descriptors");
}

}  // namespace
}  // namespace bulkhead
