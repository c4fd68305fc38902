// HelperPool on real helpers of the `pool-worker` test role
// (tests/support/test_roles.cc): crashes, deadlines, retries, poison,
// recycling, scaling, shutdown, a role that cannot launch, and the rule that
// no completion runs inside the call that started it.
#include "host/helper_pool.h"

#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/process_info.h"
#include "gtest/gtest.h"
#include "host/exit_info_status.h"
#include "sample_roles/work.pb.h"
#include "tests/host/pool_fixture.h"
#include "tests/support/sanitizer_env.h"

namespace bulkhead::testing {
namespace {

using roles::LayoutTextRequest;
using roles::LayoutTextResponse;

class HelperPoolTest : public PoolFixture {};

TEST_F(HelperPoolTest, ExitInfoRoundTripsThroughAStatus) {
  ExitInfo exit;
  exit.kind = ExitKind::kCrashed;
  exit.signal = SIGSEGV;
  exit.core_dumped = true;
  exit.detail = "line one\nline=two";
  exit.pid = 1234;
  exit.role = "pool-worker";
  exit.helper_id = 9;
  exit.uptime = absl::Milliseconds(1500);
  exit.stack_trace = {"#0 Decode", "#1 main"};
  const absl::Status status =
      AttachExitInfo(absl::UnavailableError("helper died"), exit);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  std::optional<ExitInfo> back = ExitInfoFromStatus(status);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, ExitKind::kCrashed);
  EXPECT_EQ(back->signal, SIGSEGV);
  EXPECT_TRUE(back->core_dumped);
  EXPECT_EQ(back->detail, exit.detail);
  EXPECT_EQ(back->pid, 1234);
  EXPECT_EQ(back->role, "pool-worker");
  EXPECT_EQ(back->helper_id, 9u);
  EXPECT_EQ(back->uptime, absl::Milliseconds(1500));
  EXPECT_EQ(back->stack_trace, exit.stack_trace);
  EXPECT_FALSE(ExitInfoFromStatus(absl::UnavailableError("x")).has_value());
  EXPECT_TRUE(AttachExitInfo(absl::OkStatus(), exit).ok());
}

TEST_F(HelperPoolTest, CreateRefusesAnUnknownRoleAndBadOptions) {
  HelperPool::Options options = PoolOptions();
  options.role = "no-such-role";
  EXPECT_EQ(HelperPool::Create(*host_, options).status().code(),
            absl::StatusCode::kNotFound);
  options = PoolOptions();
  options.min_helpers = 3;
  options.max_helpers = 2;
  EXPECT_EQ(HelperPool::Create(*host_, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(HelperPoolTest, RunsTasksAndTheHandlersErrors) {
  std::unique_ptr<HelperPool> pool = MakePool(PoolOptions());
  ASSERT_NE(pool, nullptr);
  Submit(*pool, 0, "echo:hello");
  Submit(*pool, 1, "refuse");
  ASSERT_TRUE(AllDone(2));
  ASSERT_TRUE(results_.at(0).ok()) << results_.at(0).status();
  EXPECT_EQ(results_.at(0)->lines(0), "hello");
  EXPECT_EQ(results_.at(1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ExitInfoFromStatus(results_.at(1).status()).has_value());
  EXPECT_EQ(pool->stats().succeeded, 1u);
  EXPECT_EQ(pool->stats().failed, 1u);
}

// Submit never completes a task before it returns, whatever the end (a
// refusal, a shutdown pool, a reply), so a completion that submits the next
// task never recurses.
TEST_F(HelperPoolTest, NoCompletionRunsInsideSubmit) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  options.max_queued = 1;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);

  int depth = 0;
  int deepest = 0;
  int chained = 0;
  std::function<void()> submit_next = [&] {
    ++depth;
    deepest = std::max(deepest, depth);
    auto submit_returned = std::make_shared<bool>(false);
    pool->Submit<LayoutTextRequest, LayoutTextResponse>(
        PoolWorkerRequest("echo:x"), {},
        [&, returned = submit_returned](Result) {
          EXPECT_TRUE(*returned) << "completed inside Submit";
          if (++chained < 50) submit_next();
        });
    *submit_returned = true;
    --depth;
  };
  submit_next();
  ASSERT_TRUE(RunUntil([&] { return chained >= 50; }));
  EXPECT_EQ(deepest, 1);

  // A refusal (queue full) completes later too.
  bool refused_inside = false;
  bool refusal_seen = false;
  for (int i = 0; i < 3; ++i) {
    auto returned = std::make_shared<bool>(false);
    pool->Submit<LayoutTextRequest, LayoutTextResponse>(
        PoolWorkerRequest("busy:50"), {}, [&, i, r = returned](Result result) {
          if (!*r) refused_inside = true;
          if (i == 2) {
            refusal_seen = true;
            EXPECT_EQ(result.status().code(),
                      absl::StatusCode::kResourceExhausted);
          }
        });
    *returned = true;
  }
  ASSERT_TRUE(RunUntil([&] { return refusal_seen; }));
  EXPECT_FALSE(refused_inside);

  // And so does a submission to a pool that shut down.
  bool shut = false;
  pool->Shutdown(absl::Seconds(2), [&] { shut = true; });
  bool returned = false;
  bool cancelled_inside = false;
  bool cancelled = false;
  pool->Submit<LayoutTextRequest, LayoutTextResponse>(
      PoolWorkerRequest("echo:late"), {}, [&](Result result) {
        cancelled_inside = !returned;
        cancelled = true;
        EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
      });
  returned = true;
  ASSERT_TRUE(RunUntil([&] { return cancelled && shut; }));
  EXPECT_FALSE(cancelled_inside);
}

// Every fifth task of each helper aborts it. Without retries: each task ends
// once, a success with its own answer or the helper's crash, with the
// ExitInfo in its status. None lost, none doubled.
TEST_F(HelperPoolTest, CrashEveryNthTaskLosesAndDoublesNothing) {
  HelperPool::Options options = PoolOptions();
  options.launch.sandboxed.reset();  // The host's default: sandboxed here.
  options.min_helpers = 2;
  options.max_helpers = 2;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  constexpr int kTasks = 60;
  for (int i = 0; i < kTasks; ++i) {
    Submit(*pool, i, absl::StrCat("every:5:task-", i));
  }
  ASSERT_TRUE(AllDone(kTasks));
  EXPECT_EQ(doubled_, 0);
  int crashed = 0;
  for (const auto& [id, result] : results_) {
    if (result.ok()) {
      EXPECT_EQ(result->lines(0), absl::StrCat("task-", id));
      continue;
    }
    ++crashed;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable)
        << result.status();
    std::optional<ExitInfo> exit = ExitInfoFromStatus(result.status());
    ASSERT_TRUE(exit.has_value()) << result.status();
    EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
    EXPECT_EQ(exit->signal, SIGABRT);
    EXPECT_EQ(exit->role, "pool-worker");
  }
  EXPECT_GE(crashed, kTasks / 5 / 2);
  EXPECT_EQ(pool->stats().succeeded + pool->stats().failed,
            static_cast<uint64_t>(kTasks));
}

// A helper that dies with a task in flight was not idle: its replacement is
// launched at once, not after the back-off meant for helpers that die by
// themselves (a launch_backoff of 60 s would hold the next task that long).
TEST_F(HelperPoolTest, AHelperKilledByItsTaskIsReplacedWithoutBackOff) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  options.launch_backoff = absl::Seconds(60);
  options.max_launch_backoff = absl::Seconds(60);
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  Submit(*pool, 0, "crash");
  ASSERT_TRUE(AllDone(1));
  ASSERT_TRUE(ExitInfoFromStatus(results_.at(0).status()).has_value())
      << results_.at(0).status();
  Submit(*pool, 1, "echo:next");
  ASSERT_TRUE(AllDone(2)) << "the next task waited for a back-off";
  ASSERT_TRUE(results_.at(1).ok()) << results_.at(1).status();
  EXPECT_EQ(pool->stats().helper_deaths, 1u);
}

// The same with idempotent tasks: each crash is retried on another helper,
// so every task succeeds, exactly once.
TEST_F(HelperPoolTest, CrashEveryNthTaskIdempotentAllSucceedOnce) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 2;
  options.max_attempts = 10;
  options.poison_kills = 10;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  constexpr int kTasks = 60;
  HelperPool::TaskOptions idempotent;
  idempotent.idempotent = true;
  for (int i = 0; i < kTasks; ++i) {
    Submit(*pool, i, absl::StrCat("every:4:task-", i), idempotent);
  }
  ASSERT_TRUE(AllDone(kTasks));
  EXPECT_EQ(doubled_, 0);
  for (const auto& [id, result] : results_) {
    ASSERT_TRUE(result.ok()) << id << ": " << result.status();
    EXPECT_EQ(result->lines(0), absl::StrCat("task-", id));
  }
  EXPECT_GT(pool->stats().retried, 0u);
  // Each death in a task retried it; a helper that died starting (under Wine
  // on a busy machine, one was killed for no Ready within the fixture's 2 s)
  // had no task to retry.
  EXPECT_EQ(pool->stats().retried,
            pool->stats().helper_deaths - pool->stats().launch_failures);
}

TEST_F(HelperPoolTest, ARetriedTaskRunsOnAFreshHelper) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  HelperPool::TaskOptions idempotent;
  idempotent.idempotent = true;
  Submit(*pool, 0, "echo:first");
  // The helper's second task: it aborts; the retry is a fresh helper's first.
  Submit(*pool, 1, "every:2:second", idempotent);
  ASSERT_TRUE(AllDone(2));
  ASSERT_TRUE(results_.at(0).ok());
  ASSERT_TRUE(results_.at(1).ok()) << results_.at(1).status();
  EXPECT_EQ(results_.at(1)->lines(0), "second");
  EXPECT_NE(PoolWorkerPid(*results_.at(0)), PoolWorkerPid(*results_.at(1)));
  EXPECT_EQ(pool->stats().retried, 1u);

  // Not idempotent: the same crash ends the task, with why.
  Submit(*pool, 2, "every:2:third");
  ASSERT_TRUE(AllDone(3));
  ASSERT_FALSE(results_.at(2).ok());
  std::optional<ExitInfo> exit = ExitInfoFromStatus(results_.at(2).status());
  ASSERT_TRUE(exit.has_value()) << results_.at(2).status();
  EXPECT_EQ(exit->kind, ExitKind::kCrashed);
  EXPECT_EQ(exit->pid, PoolWorkerPid(*results_.at(1)));
  EXPECT_EQ(pool->stats().retried, 1u);
}

TEST_F(HelperPoolTest, PoisonIsFailedAfterKillingKHelpersAndNeverRunAgain) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  options.max_attempts = 5;
  options.poison_kills = 2;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  HelperPool::TaskOptions poison;
  poison.idempotent = true;
  Submit(*pool, 0, "crash", poison);
  ASSERT_TRUE(AllDone(1));
  EXPECT_EQ(results_.at(0).status().code(), absl::StatusCode::kAborted)
      << results_.at(0).status();
  ASSERT_TRUE(ExitInfoFromStatus(results_.at(0).status()).has_value());
  EXPECT_EQ(ExitInfoFromStatus(results_.at(0).status())->kind,
            ExitKind::kCrashed);
  EXPECT_EQ(pool->stats().helper_deaths, 2u);  // Not max_attempts.

  // By key, across submissions: the first kills one helper, the second a
  // second one and is poison; the third never runs.
  HelperPool::TaskOptions keyed;
  keyed.key = "input-7";
  Submit(*pool, 1, "crash", keyed);
  ASSERT_TRUE(AllDone(2));
  EXPECT_EQ(results_.at(1).status().code(), absl::StatusCode::kUnavailable);
  Submit(*pool, 2, "crash", keyed);
  ASSERT_TRUE(AllDone(3));
  EXPECT_EQ(results_.at(2).status().code(), absl::StatusCode::kAborted);
  const uint64_t deaths = pool->stats().helper_deaths;
  EXPECT_EQ(deaths, 4u);
  Submit(*pool, 3, "crash", keyed);
  ASSERT_TRUE(AllDone(4));
  EXPECT_EQ(results_.at(3).status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(ExitInfoFromStatus(results_.at(3).status()).has_value());
  EXPECT_EQ(pool->stats().helper_deaths, deaths);
  // Other work still runs.
  Submit(*pool, 4, "echo:fine");
  ASSERT_TRUE(AllDone(5));
  EXPECT_TRUE(results_.at(4).ok()) << results_.at(4).status();
}

TEST_F(HelperPoolTest, ADeadlineEndsTheTaskAndKillsItsHelper) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  Submit(*pool, 0, "echo:warm");
  ASSERT_TRUE(AllDone(1));
  const int64_t first_pid = PoolWorkerPid(*results_.at(0));
  HelperPool::TaskOptions short_deadline;
  short_deadline.deadline = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  Submit(*pool, 1, "busy:4000", short_deadline);
  // Queued behind it, with a deadline shorter still: it ends while queued.
  HelperPool::TaskOptions shorter;
  shorter.deadline = absl::Milliseconds(100);
  Submit(*pool, 2, "echo:queued", shorter);
  Submit(*pool, 3, "echo:next");
  ASSERT_TRUE(AllDone(4));
  EXPECT_EQ(results_.at(1).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(results_.at(2).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(results_.at(3).ok()) << results_.at(3).status();
  // The busy helper was killed, so the next task did not wait for it.
  EXPECT_NE(PoolWorkerPid(*results_.at(3)), first_pid);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  ASSERT_TRUE(RunUntil([&] { return !exits_.empty(); }));
  EXPECT_EQ(exits_.front().pid, first_pid);
  // Killed by the call's own kill_on_deadline, its kind saying so, and the
  // task's status carries that end.
  EXPECT_EQ(exits_.front().kind, ExitKind::kDeadlineKilled)
      << exits_.front().Describe();
  std::optional<ExitInfo> killed = ExitInfoFromStatus(results_.at(1).status());
  ASSERT_TRUE(killed.has_value()) << results_.at(1).status();
  EXPECT_EQ(killed->kind, ExitKind::kDeadlineKilled) << killed->Describe();
  EXPECT_EQ(killed->pid, first_pid);
  EXPECT_EQ(pool->stats().deadline_exceeded, 2u);
  // The pool's own kill is nobody's death.
  EXPECT_EQ(pool->stats().helper_deaths, 0u);
}

// Busy is not hung, inside the pool: a task that works far longer than its
// helper's heartbeat timeout, within its deadline, is answered by the same
// helper, which is neither killed as hung nor replaced.
TEST_F(HelperPoolTest, ALongTaskWithinItsDeadlineIsNotKilledAsHung) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  Heartbeat::Options heartbeat;
  heartbeat.interval = absl::Milliseconds(50);
  // Long enough for an idle helper under a sanitizer on a busy machine.
  heartbeat.timeout = absl::Milliseconds(500);
  options.launch.heartbeat = heartbeat;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  Submit(*pool, 0, "echo:warm");
  ASSERT_TRUE(AllDone(1));
  ASSERT_TRUE(results_.at(0).ok()) << results_.at(0).status();
  const int64_t pid = PoolWorkerPid(*results_.at(0));
  HelperPool::TaskOptions long_deadline;
  long_deadline.deadline = absl::Seconds(10);
  // Four heartbeat timeouts of work, its loop blocked throughout.
  Submit(*pool, 1, "busy:2000", long_deadline);
  ASSERT_TRUE(AllDone(2));
  ASSERT_TRUE(results_.at(1).ok()) << results_.at(1).status();
  EXPECT_EQ(PoolWorkerPid(*results_.at(1)), pid);
  // Still alive and answering afterwards.
  Submit(*pool, 2, "echo:after");
  ASSERT_TRUE(AllDone(3));
  ASSERT_TRUE(results_.at(2).ok()) << results_.at(2).status();
  EXPECT_EQ(PoolWorkerPid(*results_.at(2)), pid);
  EXPECT_TRUE(exits_.empty()) << exits_.front().Describe();
  EXPECT_EQ(pool->stats().helper_deaths, 0u);
  EXPECT_EQ(pool->stats().launches, 1u);
}

TEST_F(HelperPoolTest, RecyclesAfterNTasksUnderLoadWithoutFailingAny) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 2;
  options.recycle_after_tasks = 5;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  constexpr int kTasks = 40;
  for (int i = 0; i < kTasks; ++i) Submit(*pool, i, absl::StrCat("echo:", i));
  ASSERT_TRUE(AllDone(kTasks));
  std::map<int64_t, int> per_pid;
  for (const auto& [id, result] : results_) {
    ASSERT_TRUE(result.ok()) << id << ": " << result.status();
    ++per_pid[PoolWorkerPid(*result)];
  }
  for (const auto& [pid, count] : per_pid) EXPECT_LE(count, 5) << pid;
  EXPECT_GE(per_pid.size(), static_cast<size_t>(kTasks / 5));
  EXPECT_GE(pool->stats().recycled, static_cast<uint64_t>(kTasks / 5 - 1));
  // No helper that served died; one that never became Ready may have (under
  // Wine a start now and then takes past the 2 s handshake), and took no task.
  EXPECT_EQ(pool->stats().helper_deaths, pool->stats().launch_failures);
  ASSERT_TRUE(RunUntil([&] { return !exits_.empty(); }));
  for (const ExitInfo& exit : exits_) {
    if (!exit.was_ready) continue;
    EXPECT_EQ(exit.kind, ExitKind::kStoppedByHost) << exit.Describe();
  }
}

TEST_F(HelperPoolTest, RecyclesAHelperPastItsMemoryLimitAfterItsTask) {
  if (testing::SanitizerReservesAddressSpace()) {
    GTEST_SKIP() << "under a sanitizer a helper's resident memory is mostly "
                    "the sanitizer's (shadow, quarantine), not its own growth";
  }
  // What one idle helper of the role costs here, plus 64 MiB.
  HelperProcess* probe = LaunchReady("pool-worker");
  ASSERT_NE(probe, nullptr);
  absl::StatusOr<ProcessUsage> usage = GetProcessUsage(probe->pid());
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  if (absl::IsUnimplemented(usage.status())) {
    options.recycle_above_resident_bytes = 64 << 20;
    absl::StatusOr<std::unique_ptr<HelperPool>> refused =
        HelperPool::Create(*host_, options);
    EXPECT_TRUE(absl::IsUnimplemented(refused.status())) << refused.status();
    GTEST_SKIP() << "no process memory figure on this platform; the pool "
                    "refuses the option: "
                 << refused.status();
  }
  ASSERT_TRUE(usage.ok()) << usage.status();
  options.recycle_above_resident_bytes = usage->resident_bytes + (64 << 20);
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  Submit(*pool, 0, "grow:16");
  ASSERT_TRUE(AllDone(1));
  ASSERT_TRUE(results_.at(0).ok());
  Submit(*pool, 1, "grow:96");
  ASSERT_TRUE(AllDone(2));
  ASSERT_TRUE(results_.at(1).ok()) << results_.at(1).status();
  const int64_t big = PoolWorkerPid(*results_.at(1));
  EXPECT_EQ(PoolWorkerPid(*results_.at(0)), big);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().recycled == 1; }));
  Submit(*pool, 2, "echo:after");
  ASSERT_TRUE(AllDone(3));
  ASSERT_TRUE(results_.at(2).ok());
  EXPECT_NE(PoolWorkerPid(*results_.at(2)), big);
}

TEST_F(HelperPoolTest, RecyclesAfterALifetime) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  options.recycle_after = absl::Milliseconds(200);
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().recycled >= 1; }));
  ASSERT_TRUE(RunUntil([&] { return !exits_.empty(); }));
  EXPECT_EQ(exits_.front().kind, ExitKind::kStoppedByHost);
  // Its replacement takes work.
  Submit(*pool, 0, "echo:x");
  ASSERT_TRUE(AllDone(1));
  EXPECT_TRUE(results_.at(0).ok()) << results_.at(0).status();
}

TEST_F(HelperPoolTest, ScalesUpOnQueueDepthAndDownWhenIdle) {
  HelperPool::Options options = PoolOptions();
  options.min_helpers = 1;
  options.max_helpers = 3;
  options.idle_timeout = absl::Milliseconds(200);
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().ready == 1; }));
  EXPECT_EQ(pool->stats().helpers, 1);
  int most_busy = 0;
  for (int i = 0; i < 6; ++i) Submit(*pool, i, "busy:300");
  EXPECT_EQ(pool->stats().helpers, 3);  // Launched at once for the queue.
  ASSERT_TRUE(RunUntil([&] {
    most_busy = std::max(most_busy, pool->stats().busy);
    return results_.size() == 6;
  }));
  EXPECT_EQ(most_busy, 3);
  std::set<int64_t> pids;
  for (const auto& [id, result] : results_) {
    ASSERT_TRUE(result.ok()) << result.status();
    pids.insert(PoolWorkerPid(*result));
  }
  EXPECT_EQ(pids.size(), 3u);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().helpers == 1; }));
  EXPECT_EQ(pool->stats().scaled_down, 2u);
  EXPECT_EQ(pool->stats().helper_deaths, 0u);
}

// WhenFull::kWait holds tasks past the queue's bound until there is room;
// kRefuse does not. A held task's deadline runs while it waits.
TEST_F(HelperPoolTest, AFullQueueRefusesOrHoldsAsEachTaskAsks) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  options.max_queued = 2;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().ready == 1; }));
  Submit(*pool, 0, "busy:200");  // Running.
  Submit(*pool, 1, "echo:q1");   // Queued.
  Submit(*pool, 2, "echo:q2");   // Queued: full now.
  Submit(*pool, 3, "echo:refused");
  HelperPool::TaskOptions wait;
  wait.when_full = HelperPool::WhenFull::kWait;
  Submit(*pool, 4, "echo:held", wait);
  HelperPool::TaskOptions wait_briefly = wait;
  wait_briefly.deadline = absl::Milliseconds(50);
  Submit(*pool, 5, "echo:held-too-long", wait_briefly);
  EXPECT_EQ(pool->stats().queued, 2u);
  EXPECT_EQ(pool->stats().waiting, 2u);
  ASSERT_TRUE(AllDone(6));
  EXPECT_EQ(doubled_, 0);
  for (int id : {0, 1, 2, 4}) {
    EXPECT_TRUE(results_.at(id).ok()) << id << ": " << results_.at(id).status();
  }
  EXPECT_EQ(results_.at(3).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(results_.at(5).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(pool->stats().refused, 1u);
}

// With two calls per helper, tasks spread to the helper with fewer in flight.
TEST_F(HelperPoolTest, TasksGoToTheHelperWithTheFewestCallsInFlight) {
  HelperPool::Options options = PoolOptions();
  options.min_helpers = 2;
  options.max_helpers = 2;
  options.calls_per_helper = 2;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().ready == 2; }));
  for (int i = 0; i < 4; ++i) Submit(*pool, i, "busy:100");
  EXPECT_EQ(pool->stats().busy, 2);
  EXPECT_EQ(pool->stats().queued, 0u);
  Submit(*pool, 4, "echo:queued");
  EXPECT_EQ(pool->stats().queued, 1u);
  ASSERT_TRUE(AllDone(5));
  std::map<int64_t, int> per_pid;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(results_.at(i).ok()) << results_.at(i).status();
    ++per_pid[PoolWorkerPid(*results_.at(i))];
  }
  ASSERT_EQ(per_pid.size(), 2u);
  for (const auto& [pid, count] : per_pid) EXPECT_EQ(count, 2);
}

TEST_F(HelperPoolTest, ShutdownEndsEveryQueuedTaskWithAnError) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().ready == 1; }));
  Submit(*pool, 0, "busy:200");
  for (int i = 1; i <= 5; ++i) Submit(*pool, i, "echo:queued");
  bool done = false;
  pool->Shutdown(absl::Seconds(5), [&] { done = true; });
  ASSERT_TRUE(RunUntil([&] { return done; }));
  ASSERT_EQ(results_.size(), 6u);
  EXPECT_EQ(doubled_, 0);
  EXPECT_TRUE(results_.at(0).ok()) << results_.at(0).status();
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(results_.at(i).status().code(), absl::StatusCode::kCancelled);
  }
  EXPECT_EQ(pool->stats().helpers, 0);
}

TEST_F(HelperPoolTest, DestroyingThePoolCancelsItsTasksOnce) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().ready == 1; }));
  for (int i = 0; i < 4; ++i) Submit(*pool, i, "busy:100");
  pool.reset();
  ASSERT_EQ(results_.size(), 4u);
  for (const auto& [id, result] : results_) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  }
  // Nothing runs later.
  RunUntil([] { return false; }, absl::Milliseconds(300));
  EXPECT_EQ(doubled_, 0);
}

// A completion that destroys the pool: the completions already decided still
// run with their own results, the other tasks end CANCELLED; each once.
TEST_F(HelperPoolTest, ACompletionMayDestroyThePool) {
  HelperPool::Options options = PoolOptions();
  options.max_helpers = 1;
  options.max_queued = 1;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().ready == 1; }));
  std::map<int, std::vector<absl::StatusCode>> ends;
  for (int i = 0; i < 5; ++i) {
    // 0 runs, 1 is queued, 2-4 are refused together; 2's end destroys it.
    pool->Submit<LayoutTextRequest, LayoutTextResponse>(
        PoolWorkerRequest("busy:100"), {}, [&, i](Result result) {
          ends[i].push_back(result.status().code());
          if (i == 2) pool.reset();
        });
  }
  ASSERT_TRUE(RunUntil([&] { return ends.size() == 5; }));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(ends[i].size(), 1u) << i;
  EXPECT_EQ(ends[0][0], absl::StatusCode::kCancelled);
  EXPECT_EQ(ends[1][0], absl::StatusCode::kCancelled);
  for (int i = 2; i < 5; ++i) {
    EXPECT_EQ(ends[i][0], absl::StatusCode::kResourceExhausted) << i;
  }
}

// exit7 exits before Ready every time: every task fails fast with the launch
// error, and the pool relaunches only after a growing back-off.
TEST_F(HelperPoolTest, ARoleThatCannotLaunchFailsEveryTaskFastWithoutSpinning) {
  HelperPool::Options options = PoolOptions();
  options.role = "exit7";
  options.launch_backoff = absl::Milliseconds(100);
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  // An app that submits the next task from each failure.
  constexpr int kTasks = 200;
  int ended = 0;
  std::function<void()> next = [&] {
    pool->Submit<LayoutTextRequest, LayoutTextResponse>(
        PoolWorkerRequest("echo:x"), {}, [&](Result result) {
          ++ended;
          EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
          std::optional<ExitInfo> exit = ExitInfoFromStatus(result.status());
          EXPECT_TRUE(exit.has_value()) << result.status();
          if (exit.has_value()) {
            EXPECT_EQ(exit->role, "exit7");
          }
          if (ended < kTasks) next();
        });
  };
  const absl::Time start = absl::Now();
  next();
  ASSERT_TRUE(RunUntil([&] { return ended == kTasks; }, absl::Seconds(10)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_LE(pool->stats().launches, 3u);

  // Left alone, it keeps its minimum by relaunching after 100, 200, 400 ms.
  const uint64_t failures = pool->stats().launch_failures;
  const absl::Time quiet = absl::Now();
  ASSERT_TRUE(
      RunUntil([&] { return pool->stats().launch_failures >= failures + 3; }));
  EXPECT_GE(absl::Now() - quiet, absl::Milliseconds(100 + 200));
}

}  // namespace
}  // namespace bulkhead::testing
