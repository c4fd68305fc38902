// The restart engine on a real libuv loop: delays measured against the clock,
// cancellation checked by what the callbacks captured and by the loop closing
// with no handle left. Every wait is on an event, bounded by a deadline.
#include "host/restart_scheduler.h"

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ExitInfo Crash(const std::string& role) {
  ExitInfo exit;
  exit.kind = ExitKind::kCrashed;
  exit.role = role;
  exit.uptime = absl::Seconds(1);
  return exit;
}

// 50 ms, then 100 ms; the third restart within a minute fails the role.
RestartPolicy Fast() {
  RestartPolicy policy;
  policy.initial_backoff = absl::Milliseconds(50);
  policy.multiplier = 2;
  policy.jitter = 0;
  policy.max_restarts = 2;
  policy.window = absl::Minutes(1);
  return policy;
}

class RestartSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    scheduler_ = std::make_unique<RestartScheduler>(
        &loop_, [this](const std::string& role, const std::string& why) {
          failures_.push_back(role + ": " + why);
        });
  }

  void TearDown() override {
    scheduler_.reset();
    // Every timer closed and freed: nothing keeps the loop alive, and it
    // closes (ASan reports a timer whose close callback never ran).
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle is left on the loop";
  }

  // Runs the loop until `done()` or `timeout`; false on timeout.
  bool RunUntil(const std::function<bool()>& done,
                absl::Duration timeout = absl::Seconds(5)) {
    uv_timer_t deadline;
    bool timed_out = false;
    uv_timer_init(&loop_, &deadline);
    deadline.data = &timed_out;
    uv_timer_start(
        &deadline, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
        static_cast<uint64_t>(absl::ToInt64Milliseconds(timeout)), 0);
    while (!done() && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);  // Its close callback: it is on our stack.
    return done();
  }

  // Runs `task` from inside a loop callback, as exits are reported.
  void RunOnLoop(absl::AnyInvocable<void()> task) {
    uv_timer_t timer;
    bool ran = false;
    struct Call {
      absl::AnyInvocable<void()>* task;
      bool* ran;
    } call{&task, &ran};
    uv_timer_init(&loop_, &timer);
    timer.data = &call;
    uv_timer_start(
        &timer,
        [](uv_timer_t* t) {
          auto* call = static_cast<Call*>(t->data);
          (*call->task)();
          *call->ran = true;
        },
        0, 0);
    EXPECT_TRUE(RunUntil([&] { return ran; }));
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }

  uv_loop_t loop_;
  std::unique_ptr<RestartScheduler> scheduler_;
  std::vector<std::string> failures_;
};

TEST_F(RestartSchedulerTest, TheRestartRunsNoEarlierThanItsDelay) {
  // A loop busy with other work (other helpers' traffic): it never sleeps
  // out a whole timeout, so a timer that counts from a stale loop time fires
  // early.
  uv_idle_t busy;
  uv_idle_init(&loop_, &busy);
  uv_idle_start(&busy, [](uv_idle_t*) {});
  absl::Time exited_at;
  absl::Time restarted_at;
  std::optional<absl::Duration> reported;
  RunOnLoop([&] {
    // The exit is reported late in a loop iteration that has already taken
    // a while (an exit handler doing work): the delay counts from the exit,
    // not from when the iteration began.
    absl::SleepFor(absl::Milliseconds(40));
    exited_at = absl::Now();
    scheduler_->OnExit(
        Crash("renderer"), Fast(), [&] { restarted_at = absl::Now(); },
        [&](std::optional<absl::Duration> in) { reported = in; });
    EXPECT_EQ(scheduler_->pending(), 1u);
  });
  EXPECT_EQ(reported, absl::Milliseconds(50));
  const bool restarted = RunUntil([&] { return restarted_at != absl::Time(); });
  uv_close(reinterpret_cast<uv_handle_t*>(&busy), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);  // Its close callback: it is on our stack.
  ASSERT_TRUE(restarted);
  EXPECT_GE(restarted_at - exited_at, absl::Milliseconds(50));
  EXPECT_EQ(scheduler_->pending(), 0u);
  EXPECT_EQ(scheduler_->restarts("renderer"), 1);
}

TEST_F(RestartSchedulerTest, StopCancelsEveryPendingRestartAndFreesIt) {
  auto captured = std::make_shared<int>(0);
  int ran = 0;
  scheduler_->OnExit(Crash("renderer"), Fast(), [&ran, captured] { ++ran; });
  scheduler_->OnExit(Crash("gpu"), Fast(), [&ran, captured] { ++ran; });
  ASSERT_EQ(scheduler_->pending(), 2u);
  ASSERT_EQ(captured.use_count(), 3);

  scheduler_->Stop();
  EXPECT_TRUE(scheduler_->stopped());
  EXPECT_EQ(scheduler_->pending(), 0u);
  EXPECT_EQ(captured.use_count(), 1) << "cancelled callbacks are destroyed";

  // Stopped for good: an exit now is only reported.
  std::vector<std::optional<absl::Duration>> reports;
  scheduler_->OnExit(
      Crash("renderer"), Fast(), [&ran] { ++ran; },
      [&](std::optional<absl::Duration> in) { reports.push_back(in); });
  EXPECT_THAT(reports, ElementsAre(std::nullopt));
  EXPECT_EQ(scheduler_->pending(), 0u);
  EXPECT_EQ(scheduler_->restarts("renderer"), 1) << "not decided again";

  // Nothing is left to keep the loop running: it returns once the timers'
  // close callbacks ran, and no restart ran.
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(ran, 0);
}

TEST_F(RestartSchedulerTest, DestroyingItCancelsEveryPendingRestart) {
  auto captured = std::make_shared<int>(0);
  bool ran = false;
  scheduler_->OnExit(Crash("renderer"), Fast(),
                     [&ran, captured] { ran = true; });
  ASSERT_EQ(scheduler_->pending(), 1u);
  scheduler_.reset();
  EXPECT_EQ(captured.use_count(), 1);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_FALSE(ran);
}

TEST_F(RestartSchedulerTest, AFailedRoleIsReportedOnce) {
  int ran = 0;
  for (int exit = 1; exit <= 4; ++exit) {
    scheduler_->OnExit(Crash("utility"), Fast(), [&ran] { ++ran; });
  }
  ASSERT_THAT(failures_, ElementsAre(HasSubstr("utility: 2 restarts within")));
  EXPECT_TRUE(scheduler_->failed("utility"));
  EXPECT_EQ(scheduler_->restarts("utility"), 2);
  // The two restarts decided before the failure still run.
  ASSERT_TRUE(RunUntil([&] { return ran == 2; }));
  EXPECT_EQ(scheduler_->pending(), 0u);
  // A later exit of the failed role (e.g. of a helper launched by hand) is
  // neither restarted nor reported again.
  std::vector<std::optional<absl::Duration>> reports;
  scheduler_->OnExit(
      Crash("utility"), Fast(), [&ran] { ++ran; },
      [&](std::optional<absl::Duration> in) { reports.push_back(in); });
  EXPECT_THAT(reports, ElementsAre(std::nullopt));
  EXPECT_EQ(failures_.size(), 1u);
  EXPECT_EQ(scheduler_->pending(), 0u);
}

TEST_F(RestartSchedulerTest, TwoRolesAreIndependent) {
  RestartPolicy never = Fast();
  never.mode = RestartPolicy::Mode::kNever;
  bool gpu_restarted = false;
  for (int exit = 1; exit <= 3; ++exit) {
    scheduler_->OnExit(Crash("utility"), Fast(), [] {});
  }
  scheduler_->OnExit(Crash("network"), never, [] { ADD_FAILURE(); });
  scheduler_->OnExit(Crash("gpu"), Fast(), [&] { gpu_restarted = true; });
  EXPECT_THAT(failures_, ElementsAre(HasSubstr("utility: ")));
  EXPECT_FALSE(scheduler_->failed("gpu"));
  EXPECT_FALSE(scheduler_->failed("network"));
  EXPECT_EQ(scheduler_->restarts("utility"), 2);
  EXPECT_EQ(scheduler_->restarts("network"), 0);
  EXPECT_EQ(scheduler_->restarts("gpu"), 1);
  EXPECT_EQ(scheduler_->restarts("plumber"), 0);
  EXPECT_FALSE(scheduler_->failed("plumber"));
  ASSERT_TRUE(RunUntil([&] { return gpu_restarted; }));
}

TEST_F(RestartSchedulerTest, ARestartMayScheduleTheNextFromItsCallback) {
  // Each restart "fails to spawn" at once and reports that exit from inside
  // its own callback, as Host and Supervisor do.
  std::vector<absl::Time> restarted_at;
  std::function<void()> restart = [&] {
    restarted_at.push_back(absl::Now());
    scheduler_->OnExit(Crash("renderer"), Fast(), restart);
  };
  const absl::Time start = absl::Now();
  scheduler_->OnExit(Crash("renderer"), Fast(), restart);
  ASSERT_TRUE(RunUntil([&] { return !failures_.empty(); }));
  // 50 ms, then 100 ms more; the third exit failed the role.
  ASSERT_EQ(restarted_at.size(), 2u);
  EXPECT_GE(restarted_at[0] - start, absl::Milliseconds(50));
  EXPECT_GE(restarted_at[1] - restarted_at[0], absl::Milliseconds(100));
  EXPECT_EQ(scheduler_->restarts("renderer"), 2);
  EXPECT_EQ(scheduler_->pending(), 0u);
}

TEST_F(RestartSchedulerTest, ARestartMayDestroyTheScheduler) {
  bool first_ran = false;
  bool second_ran = false;
  RestartPolicy later = Fast();
  later.initial_backoff = absl::Seconds(30);
  scheduler_->OnExit(Crash("renderer"), Fast(), [&] {
    first_ran = true;
    scheduler_.reset();
  });
  scheduler_->OnExit(Crash("gpu"), later, [&] { second_ran = true; });
  ASSERT_TRUE(RunUntil([&] { return first_ran; }));
  EXPECT_EQ(scheduler_, nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);  // The cancelled timer closes.
  EXPECT_FALSE(second_ran);
}

TEST_F(RestartSchedulerTest, TheReportComesBetweenTheDecisionAndTheSchedule) {
  bool ran = false;
  scheduler_->OnExit(
      Crash("renderer"), Fast(), [&] { ran = true; },
      [&](std::optional<absl::Duration> in) {
        EXPECT_EQ(in, absl::Milliseconds(50));
        EXPECT_EQ(scheduler_->restarts("renderer"), 1) << "already decided";
        EXPECT_EQ(scheduler_->pending(), 0u) << "not yet scheduled";
      });
  EXPECT_EQ(scheduler_->pending(), 1u);
  ASSERT_TRUE(RunUntil([&] { return ran; }));
}

TEST_F(RestartSchedulerTest, AReportThatStopsTheSchedulerCancelsTheRestart) {
  scheduler_->OnExit(
      Crash("renderer"), Fast(), [] { ADD_FAILURE() << "restarted"; },
      [&](std::optional<absl::Duration> in) {
        EXPECT_TRUE(in.has_value());
        scheduler_->Stop();
      });
  EXPECT_EQ(scheduler_->pending(), 0u);
}

TEST_F(RestartSchedulerTest, AReportMayDestroyTheScheduler) {
  auto captured = std::make_shared<int>(0);
  scheduler_->OnExit(
      Crash("renderer"), Fast(), [captured] { ADD_FAILURE() << "restarted"; },
      [&](std::optional<absl::Duration>) { scheduler_.reset(); });
  EXPECT_EQ(scheduler_, nullptr);
  EXPECT_EQ(captured.use_count(), 1) << "the restart was dropped";
}

TEST_F(RestartSchedulerTest, TheRoleFailsEvenWhenTheReportStopsTheScheduler) {
  for (int exit = 1; exit <= 2; ++exit) {
    scheduler_->OnExit(Crash("utility"), Fast(), [] {});
  }
  scheduler_->OnExit(
      Crash("utility"), Fast(), [] {},
      [&](std::optional<absl::Duration> in) {
        EXPECT_FALSE(in.has_value());
        scheduler_->Stop();
      });
  EXPECT_THAT(failures_, ElementsAre(HasSubstr("utility: 2 restarts")));
}

TEST_F(RestartSchedulerTest, JitterComesFromTheGivenSource) {
  RestartScheduler scheduler(&loop_, nullptr, [] { return 0.75; });
  RestartPolicy policy = Fast();
  policy.initial_backoff = absl::Milliseconds(100);
  policy.jitter = 0.5;
  std::optional<absl::Duration> reported;
  scheduler.OnExit(
      Crash("renderer"), policy, [] {},
      [&](std::optional<absl::Duration> in) { reported = in; });
  // 100 ms * (1 + 0.5 * (2 * 0.75 - 1)).
  EXPECT_EQ(reported, absl::Milliseconds(125));
}

TEST_F(RestartSchedulerTest, ARolesFirstPolicyIsTheOneItKeeps) {
  RestartPolicy never = Fast();
  never.mode = RestartPolicy::Mode::kNever;
  bool restarted = false;
  scheduler_->OnExit(Crash("renderer"), Fast(), [&] { restarted = true; });
  scheduler_->OnExit(Crash("renderer"), never, [] {});
  EXPECT_EQ(scheduler_->restarts("renderer"), 2);
  ASSERT_TRUE(RunUntil([&] { return restarted; }));
}

}  // namespace
}  // namespace bulkhead
