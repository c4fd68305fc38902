// A sandbox's init that has not exited when its NamespacedChildProcess goes
// is reaped on the loop once it has (init_reaper_linux.h): the loop does not
// wait for it, and nothing is left once it has exited. The inits here are
// plain children of the test that block until told to end; a stopped one
// stands for an init the scheduler does not run (SCHED_IDLE on a busy
// machine), which the destructor used to wait for.
#include "host/launch/init_reaper_linux.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "host/launch/launcher.h"
#include "host/launch/namespaced_child_process_linux.h"
#include "host/launch/sandbox_child_linux.h"

namespace bulkhead {
namespace {

class InitReaperTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    // Every test leaves its reaps finished and its handles closing.
    while (uv_run(&loop_, UV_RUN_NOWAIT) != 0) {
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // A child that waits until killed; its pidfd.
  ScopedHandle StartInit(pid_t* pid) {
    *pid = ::fork();
    if (*pid == 0) {
      for (;;) ::pause();
    }
    return ScopedHandle(static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0)));
  }

  // Runs the loop until `done`, for at most 10 s; a ticking timer wakes it
  // to look at the deadline.
  bool RunUntil(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    uv_timer_t tick;
    uv_timer_init(&loop_, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 50, 50);
    while (!done() && absl::Now() < deadline) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return done();
  }

  // A child process on the loop for an init from StartInit: `*exit_status`
  // is set once it reports; `*status_write` is its status pipe's write end.
  std::unique_ptr<NamespacedChildProcess> WatchInit(
      pid_t* init, ScopedHandle* status_write,
      std::optional<int>* exit_status) {
    ScopedHandle init_pidfd = StartInit(init);
    int status[2];
    if (!init_pidfd.is_valid() ||
        ::pipe2(status, O_NONBLOCK | O_CLOEXEC) != 0) {
      ADD_FAILURE() << "no init or no status pipe";
      return nullptr;
    }
    status_write->reset(status[1]);
    auto child = std::make_unique<NamespacedChildProcess>(
        &loop_, *init, std::move(init_pidfd), ScopedHandle(status[0]), nullptr,
        "no cgroup in this test", [exit_status](int64_t code, int) {
          *exit_status = static_cast<int>(code);
        });
    EXPECT_TRUE(child->Watch().ok());
    return child;
  }

  uv_loop_t loop_;
};

// What init writes once its helper has exited with `code`.
bool WriteHelperExit(const ScopedHandle& status_write, int code) {
  HelperWaitStatus helper;
  helper.code = CLD_EXITED;
  helper.status = code;
  return ::write(status_write.get(), &helper, sizeof(helper)) ==
         static_cast<ssize_t>(sizeof(helper));
}

// Whether `pid` is still this process's child, running or waiting to be
// reaped.
bool StillOurs(pid_t pid) {
  siginfo_t info = {};
  return ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

bool Running(pid_t pid) {
  siginfo_t info = {};
  return ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == 0;
}

TEST_F(InitReaperTest, AnInitThatHasExitedIsReapedAtOnce) {
  pid_t pid = 0;
  ScopedHandle pidfd = StartInit(&pid);
  ASSERT_TRUE(pidfd.is_valid());
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  siginfo_t info = {};
  ASSERT_EQ(::waitid(P_PID, pid, &info, WEXITED | WNOWAIT), 0);
  ReapInitLater(&loop_, std::move(pidfd), nullptr);
  EXPECT_EQ(PendingReapsForTesting(&loop_), 0);
  EXPECT_FALSE(StillOurs(pid));
}

TEST_F(InitReaperTest, ARunningInitIsReapedOnTheLoopOnceItExits) {
  pid_t pid = 0;
  ScopedHandle pidfd = StartInit(&pid);
  ASSERT_TRUE(pidfd.is_valid());
  ReapInitLater(&loop_, std::move(pidfd), nullptr);
  // Returned without waiting: it still runs, and is pending.
  EXPECT_TRUE(Running(pid));
  EXPECT_EQ(PendingReapsForTesting(&loop_), 1);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(RunUntil([&] { return PendingReapsForTesting(&loop_) == 0; }));
  EXPECT_FALSE(StillOurs(pid));
}

// An embedding app that reaps every child itself (waitpid(-1), or SIGCHLD
// ignored) takes the init from under the reap: its pidfd stays readable and
// waitid says ECHILD. The reap ends then, instead of its poll firing on every
// turn of the loop for ever.
TEST_F(InitReaperTest, AnInitTheAppReapedEndsItsReap) {
  pid_t pid = 0;
  ScopedHandle pidfd = StartInit(&pid);
  ASSERT_TRUE(pidfd.is_valid());
  ReapInitLater(&loop_, std::move(pidfd), nullptr);
  ASSERT_EQ(PendingReapsForTesting(&loop_), 1);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);  // The app's reaper.
  int turns_run = 0;
  uv_check_t turns;
  uv_check_init(&loop_, &turns);
  turns.data = &turns_run;
  uv_check_start(&turns,
                 [](uv_check_t* check) { ++*static_cast<int*>(check->data); });
  EXPECT_TRUE(RunUntil([&] { return PendingReapsForTesting(&loop_) == 0; }))
      << "still pending after " << turns_run << " turns of the loop";
  uv_close(reinterpret_cast<uv_handle_t*>(&turns), nullptr);
  FinishPendingReaps(&loop_);
  while (uv_run(&loop_, UV_RUN_NOWAIT) != 0) {
  }
}

TEST_F(InitReaperTest, FinishPendingReapsWaitsForEachInitOfItsLoopOnly) {
  uv_loop_t other;
  ASSERT_EQ(uv_loop_init(&other), 0);
  pid_t ours = 0;
  pid_t theirs = 0;
  ReapInitLater(&loop_, StartInit(&ours), nullptr);
  ReapInitLater(&other, StartInit(&theirs), nullptr);
  ASSERT_EQ(PendingReapsForTesting(&loop_), 1);
  // Killed but perhaps not yet exited: FinishPendingReaps waits for it.
  ASSERT_EQ(::kill(ours, SIGKILL), 0);
  FinishPendingReaps(&loop_);
  EXPECT_EQ(PendingReapsForTesting(&loop_), 0);
  EXPECT_FALSE(StillOurs(ours));
  EXPECT_EQ(PendingReapsForTesting(&other), 1);
  EXPECT_TRUE(Running(theirs));
  ASSERT_EQ(::kill(theirs, SIGKILL), 0);
  FinishPendingReaps(&other);
  EXPECT_FALSE(StillOurs(theirs));
  while (uv_run(&other, UV_RUN_NOWAIT) != 0) {
  }
  EXPECT_EQ(uv_loop_close(&other), 0);
}

// The helper's end was reported (init wrote its status), and then init does
// not get to run: destroying the child process does not wait for it.
TEST_F(InitReaperTest, DestroyingTheChildProcessDoesNotWaitForItsInit) {
  pid_t init = 0;
  ScopedHandle status_write;
  std::optional<int> exit_status;
  auto child = WatchInit(&init, &status_write, &exit_status);
  ASSERT_NE(child, nullptr);
  ASSERT_EQ(::kill(init, SIGSTOP), 0);
  ASSERT_TRUE(WriteHelperExit(status_write, 7));
  ASSERT_TRUE(RunUntil([&] { return exit_status.has_value(); }));
  EXPECT_EQ(*exit_status, 7);
  // A stopped init cannot exit: the old destructor waited here for ever.
  child.reset();
  EXPECT_TRUE(Running(init));
  EXPECT_EQ(PendingReapsForTesting(&loop_), 1);
  ASSERT_EQ(::kill(init, SIGKILL), 0);
  ASSERT_TRUE(RunUntil([&] { return PendingReapsForTesting(&loop_) == 0; }));
  EXPECT_FALSE(StillOurs(init));
}

// The helper's end was reported, and then its init is stopped (by anything
// that may signal it from outside the namespace): the host's end kills it
// rather than waiting for it for ever, and leaves nothing.
TEST_F(InitReaperTest, FinishPendingReapsDoesNotWaitForAStoppedInit) {
  pid_t init = 0;
  ScopedHandle status_write;
  std::optional<int> exit_status;
  auto child = WatchInit(&init, &status_write, &exit_status);
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(WriteHelperExit(status_write, 0));
  ASSERT_TRUE(RunUntil([&] { return exit_status.has_value(); }));
  ASSERT_EQ(::kill(init, SIGSTOP), 0);
  child.reset();
  ASSERT_EQ(PendingReapsForTesting(&loop_), 1);
  // On a thread of its own, so that this test ends if it hangs.
  auto finished =
      std::async(std::launch::async, [this] { FinishPendingReaps(&loop_); });
  const bool returned =
      finished.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!returned) ::kill(init, SIGKILL);  // Lets it return.
  finished.wait();
  EXPECT_TRUE(returned) << "FinishPendingReaps waits for a stopped init";
  EXPECT_FALSE(StillOurs(init));
}

}  // namespace
}  // namespace bulkhead
