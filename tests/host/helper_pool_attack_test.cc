// HelperPool against a helper and an app that misbehave (the session-5
// attack): replies after a task's deadline, completions that submit during a
// shutdown, a completion that destroys the pool with a reply on its way.
// Real `pool-worker` helpers (tests/support/test_roles.cc); every wait is on
// an event, bounded.
#include <map>
#include <memory>
#include <string>

#include "common/platform.h"
#include "common/process_info.h"
#include "gtest/gtest.h"
#include "host/helper_pool.h"
#include "sample_roles/work.pb.h"
#include "tests/host/pool_fixture.h"
#include "tests/host/pool_worker_requests.h"
#include "tests/support/sanitizer_env.h"

namespace bulkhead::testing {
namespace {

using roles::LayoutTextRequest;
using roles::LayoutTextResponse;

using HelperPoolAttackTest = PoolFixture;

// A helper that answers after its task's deadline (the pool does not kill
// it): the late reply ends nothing a second time, and is not taken for the
// answer of the task that follows on the same helper.
TEST_F(HelperPoolAttackTest, AReplyAfterTheDeadlineEndsNothingTwice) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  options.kill_on_deadline = false;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  HelperPool::TaskOptions short_deadline;
  short_deadline.deadline = absl::Milliseconds(150);
  Submit(*pool, 0, "busy:600", short_deadline);
  Submit(*pool, 1, "echo:second");
  ASSERT_TRUE(AllDone(2));
  // One more task after the late reply has certainly arrived (it is ahead of
  // this one on the helper's channel).
  Submit(*pool, 2, "echo:third");
  ASSERT_TRUE(AllDone(3));
  EXPECT_EQ(results_.at(0).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(results_.at(1).ok()) << results_.at(1).status();
  EXPECT_EQ(results_.at(1)->lines(0), "second");
  ASSERT_TRUE(results_.at(2).ok()) << results_.at(2).status();
  EXPECT_EQ(results_.at(2)->lines(0), "third");
  EXPECT_EQ(doubled_, 0);
}

// Completions that submit again while the pool shuts down: each task ends
// once, the late submissions with CANCELLED, and Shutdown's `done` runs.
TEST_F(HelperPoolAttackTest, CompletionsThatSubmitDuringShutdownAreCancelled) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 2;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  int next = 100;
  for (int i = 0; i < 4; ++i) {
    pool->Submit<LayoutTextRequest, LayoutTextResponse>(
        PoolWorkerRequest("busy:50"), {},
        [this, i, &pool, &next](Result result) {
          if (results_.count(i) != 0) ++doubled_;
          results_.emplace(i, std::move(result));
          Submit(*pool, next++, "echo:late");
        });
  }
  bool shut = false;
  pool->Shutdown(absl::Seconds(2), [&] { shut = true; });
  ASSERT_TRUE(RunUntil([&] { return shut && results_.size() >= 8; },
                       absl::Seconds(30)));
  EXPECT_EQ(doubled_, 0);
  for (int id = 100; id < 104; ++id) {
    ASSERT_EQ(results_.count(id), 1u) << id;
    EXPECT_EQ(results_.at(id).status().code(), absl::StatusCode::kCancelled)
        << id;
  }
}

// A completion destroys the pool while another task's reply is on its way:
// that task ends once (CANCELLED), and the host keeps running.
TEST_F(HelperPoolAttackTest, ACompletionThatDestroysThePoolEndsTheRestOnce) {
  HelperPool::Options options = PoolOptions();
  options.min_helpers = 2;
  options.max_helpers = 2;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  // Both helpers ready first: otherwise the echo may queue behind the busy
  // task on the one ready helper and end after it (seen under Wine).
  ASSERT_TRUE(
      RunUntil([&] { return pool->stats().ready == 2; }, absl::Seconds(30)));
  Submit(*pool, 1, "busy:3000");
  pool->Submit<LayoutTextRequest, LayoutTextResponse>(
      PoolWorkerRequest("echo:first"), {}, [this, &pool](Result result) {
        results_.emplace(0, std::move(result));
        pool.reset();
      });
  ASSERT_TRUE(AllDone(2));
  EXPECT_EQ(pool, nullptr);
  ASSERT_TRUE(results_.at(0).ok()) << results_.at(0).status();
  EXPECT_EQ(results_.at(1).status().code(), absl::StatusCode::kCancelled);
  // The late reply of the destroyed pool's helper reaches nothing: a new
  // pool's task still runs.
  std::unique_ptr<HelperPool> again = MakePool(PoolOptions());
  ASSERT_NE(again, nullptr);
  Submit(*again, 2, "echo:again");
  ASSERT_TRUE(AllDone(3));
  ASSERT_TRUE(results_.at(2).ok()) << results_.at(2).status();
  EXPECT_EQ(doubled_, 0);
}

// A helper that renames itself with a line feed in its command name: the
// pool must still read its resident memory and recycle it past the limit
// (the host read /proc/<pid>/stat's first line only, and lost the usage).
TEST_F(HelperPoolAttackTest, AHelperCannotHideItsMemoryBehindItsName) {
#if !defined(BULKHEAD_OS_LINUX)
  GTEST_SKIP() << "command names are set this way on Linux";
#else
  if (testing::SanitizerReservesAddressSpace()) {
    GTEST_SKIP() << "under a sanitizer a helper's resident memory is mostly "
                    "the sanitizer's";
  }
  HelperProcess* probe = LaunchReady("pool-worker");
  ASSERT_NE(probe, nullptr);
  absl::StatusOr<ProcessUsage> usage = GetProcessUsage(probe->pid());
  ASSERT_TRUE(usage.ok()) << usage.status();
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  options.recycle_above_resident_bytes = usage->resident_bytes + (64 << 20);
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  Submit(*pool, 0, "rename:x\n) R 1");
  Submit(*pool, 1, "grow:96");
  ASSERT_TRUE(AllDone(2));
  ASSERT_TRUE(results_.at(1).ok()) << results_.at(1).status();
  const int64_t big = PoolWorkerPid(*results_.at(1));
  ASSERT_TRUE(RunUntil([&] { return pool->stats().recycled == 1; }))
      << "recycled " << pool->stats().recycled;
  Submit(*pool, 2, "echo:after");
  ASSERT_TRUE(AllDone(3));
  ASSERT_TRUE(results_.at(2).ok());
  EXPECT_NE(PoolWorkerPid(*results_.at(2)), big);
#endif
}

}  // namespace
}  // namespace bulkhead::testing
