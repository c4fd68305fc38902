// UvHandle on a real loop. Memory is the point here: the asan preset turns a
// leak, a double free or a use after free of a handle (or of a loop torn down
// before its handles' owners) into a failure.
#include "ipc/uv_handle.h"

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/platform_handle.h"
#include "gtest/gtest.h"
#include "ipc/uv_loop.h"
#include "tests/ipc/channel_test_fixture.h"

namespace bulkhead::ipc {
namespace {

using testing::RunLoopUntil;

// How many handles are on `loop`, and how many of them are closing.
struct HandleCount {
  int total = 0;
  int closing = 0;
};
HandleCount CountHandles(uv_loop_t* loop) {
  HandleCount count;
  uv_walk(
      loop,
      [](uv_handle_t* handle, void* arg) {
        auto* count = static_cast<HandleCount*>(arg);
        ++count->total;
        if (uv_is_closing(handle)) ++count->closing;
      },
      &count);
  return count;
}

class UvHandleTest : public ::testing::Test {
 protected:
  UvHandleTest() {
    EXPECT_EQ(uv_loop_init(&loop_), 0);
    EXPECT_EQ(uv_timer_init(&loop_, &guard_), 0);
  }
  ~UvHandleTest() override {
    uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle outlived its owner";
  }

  // The handles on the loop besides the guard.
  HandleCount Handles() {
    HandleCount count = CountHandles(&loop_);
    --count.total;
    return count;
  }

  uv_loop_t loop_;
  uv_timer_t guard_;
};

TEST_F(UvHandleTest, TheDestructorClosesAndTheCloseCallbackFrees) {
  int fired = 0;
  {
    UvHandle<uv_timer_t> timer(&loop_);
    timer->data = &fired;
    uv_timer_start(
        timer.get(), [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 0,
        0);
    EXPECT_EQ(Handles().total, 1);
  }
  // Closed, not yet freed: the close callback runs in the next loop turn.
  EXPECT_EQ(Handles().total, 1);
  EXPECT_EQ(Handles().closing, 1);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(Handles().total, 0);
  EXPECT_EQ(fired, 0) << "a closed timer fired";
}

TEST_F(UvHandleTest, CloseClosesEarlyAndOnce) {
  UvHandle<uv_timer_t> timer(&loop_);
  timer.Close();
  EXPECT_FALSE(timer);
  EXPECT_EQ(timer.get(), nullptr);
  timer.Close();  // Nothing left to close.
  EXPECT_EQ(Handles().closing, 1);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(Handles().total, 0);
}

TEST_F(UvHandleTest, MovingKeepsTheHandleWhereLibuvHasIt) {
  int fired = 0;
  UvHandle<uv_timer_t> first(&loop_);
  uv_timer_t* const handle = first.get();
  handle->data = &fired;
  uv_timer_start(
      handle, [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 0, 0);
  UvHandle<uv_timer_t> second(std::move(first));
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): the point.
  EXPECT_EQ(second.get(), handle);
  ASSERT_TRUE(RunLoopUntil(&loop_, &guard_, [&] { return fired == 1; }));
  UvHandle<uv_timer_t> third;
  third = std::move(second);
  EXPECT_EQ(third.get(), handle);
  EXPECT_EQ(Handles().closing, 0) << "a move closed the handle";
}

TEST_F(UvHandleTest, MoveAssignmentClosesWhatTheTargetHeld) {
  UvHandle<uv_timer_t> kept(&loop_);
  UvHandle<uv_timer_t> replaced(&loop_);
  uv_timer_t* const old = replaced.get();
  replaced = std::move(kept);
  EXPECT_TRUE(uv_is_closing(reinterpret_cast<uv_handle_t*>(old)));
  EXPECT_EQ(Handles().total, 2);
  EXPECT_EQ(Handles().closing, 1);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(Handles().total, 1);
}

TEST_F(UvHandleTest, EveryKindTheCodebaseOwns) {
  absl::StatusOr<UvHandle<uv_async_t>> async =
      UvHandle<uv_async_t>::Init(&loop_, [](uv_async_t*) {});
  ASSERT_TRUE(async.ok()) << async.status();
  absl::StatusOr<UvHandle<uv_signal_t>> signal =
      UvHandle<uv_signal_t>::Init(&loop_);
  ASSERT_TRUE(signal.ok()) << signal.status();
  UvHandle<uv_prepare_t> prepare(&loop_);
  UvHandle<uv_check_t> check(&loop_);
  UvHandle<uv_idle_t> idle(&loop_);
  UvHandle<uv_pipe_t> pipe(&loop_, /*ipc=*/0);
  UvHandle<uv_tcp_t> tcp(&loop_);
  EXPECT_EQ(pipe.stream(), reinterpret_cast<uv_stream_t*>(pipe.get()));
  EXPECT_EQ(tcp.handle(), reinterpret_cast<uv_handle_t*>(tcp.get()));
  EXPECT_EQ(Handles().total, 7);
}

#if !defined(_WIN32)
TEST_F(UvHandleTest, AFailedInitIsFreedAndNeverClosed) {
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  absl::StatusOr<UvHandle<uv_poll_t>> watching =
      UvHandle<uv_poll_t>::Init(&loop_, pair->first.get());
  ASSERT_TRUE(watching.ok()) << watching.status();
  ASSERT_EQ(
      uv_poll_start(watching->get(), UV_READABLE, [](uv_poll_t*, int, int) {}),
      0);
  // A second poll of a descriptor the loop watches is refused.
  absl::StatusOr<UvHandle<uv_poll_t>> again =
      UvHandle<uv_poll_t>::Init(&loop_, pair->first.get());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("uv_poll_init"), std::string::npos)
      << again.status();
  // Nothing of it reached the loop.
  EXPECT_EQ(Handles().total, 1);
  EXPECT_EQ(Handles().closing, 0);
}
#endif

// A real child: this test binary, listing its tests.
TEST_F(UvHandleTest, SpawnOwnsTheChildsHandle) {
  char path[4096];
  size_t size = sizeof(path);
  ASSERT_EQ(uv_exepath(path, &size), 0);
  char list_tests[] = "--gtest_list_tests";
  char* args[] = {path, list_tests, nullptr};
  uv_stdio_container_t stdio[3];
  for (uv_stdio_container_t& slot : stdio) slot.flags = UV_IGNORE;
  std::optional<int64_t> exit_status;
  uv_process_options_t options = {};
  options.file = path;
  options.args = args;
  options.stdio = stdio;
  options.stdio_count = 3;
  options.exit_cb = [](uv_process_t* process, int64_t status, int) {
    *static_cast<std::optional<int64_t>*>(process->data) = status;
  };
  absl::StatusOr<UvHandle<uv_process_t>> child =
      UvHandle<uv_process_t>::Spawn(&loop_, options);
  ASSERT_TRUE(child.ok()) << child.status();
  (*child)->data = &exit_status;
  EXPECT_GT((*child)->pid, 0);
  ASSERT_TRUE(
      RunLoopUntil(&loop_, &guard_, [&] { return exit_status.has_value(); }));
  EXPECT_EQ(*exit_status, 0);
}

TEST_F(UvHandleTest, AFailedSpawnIsClosedForTheCaller) {
  char missing[] = "/nonexistent/bulkhead-uv-handle-test";
  char* args[] = {missing, nullptr};
  uv_process_options_t options = {};
  options.file = missing;
  options.args = args;
  absl::StatusOr<UvHandle<uv_process_t>> child =
      UvHandle<uv_process_t>::Spawn(&loop_, options);
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.status().message().find(std::string("uv_spawn ") + missing),
            std::string::npos)
      << child.status();
  // Whatever uv_spawn left initialised is closing: the fixture's loop_close
  // fails on anything else.
  EXPECT_EQ(Handles().total, Handles().closing);
}

// ---- DrainAndCloseLoop and owners that outlive it

// A loop of its own, on the heap: once closed it is freed, so that an owner
// touching it afterwards is a use after free under ASan.
class TornDownLoopTest : public ::testing::Test {
 protected:
  TornDownLoopTest() : loop_(std::make_unique<uv_loop_t>()) {
    EXPECT_EQ(uv_loop_init(loop_.get()), 0);
  }

  void TearDownLoop() {
    EXPECT_TRUE(DrainAndCloseLoop(loop_.get()).ok());
    loop_.reset();
  }

  std::unique_ptr<uv_loop_t> loop_;
};

TEST_F(TornDownLoopTest, AnOwnerThatOutlivesTheLoopFreesItsHandle) {
  int fired = 0;
  UvHandle<uv_timer_t> timer(loop_.get());
  timer->data = &fired;
  uv_timer_start(
      timer.get(), [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 0, 0);
  absl::StatusOr<UvHandle<uv_async_t>> async =
      UvHandle<uv_async_t>::Init(loop_.get(), [](uv_async_t*) {});
  ASSERT_TRUE(async.ok()) << async.status();
  TearDownLoop();
  EXPECT_EQ(fired, 0);
  // Both owners free their handles here, with the loop gone (ASan: no leak,
  // no use after free).
  async->Close();
}

TEST_F(TornDownLoopTest, OwnersClosedBeforeTheTeardownAreFreedByIt) {
  UvHandle<uv_timer_t> timer(loop_.get());
  timer.Close();
  { UvHandle<uv_idle_t> idle(loop_.get()); }
  TearDownLoop();  // Runs their close callbacks.
}

#if !defined(_WIN32)
// An owner destroyed while DrainAndCloseLoop's close of its handle is still
// pending: from the callback of a stream's write that the teardown cancels.
// Handles are closed in the order they were made and finish closing in the
// reverse order, so `handle_first` decides which close is pending then.
void DestroyOwnerDuringTeardown(uv_loop_t* loop, bool handle_first) {
  std::optional<UvHandle<uv_timer_t>> owned;
  if (handle_first) owned.emplace(loop);
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  UvHandle<uv_pipe_t> writing(loop, /*ipc=*/0);
  ASSERT_EQ(uv_pipe_open(writing.get(), pair->first.release()), 0);
  if (!handle_first) owned.emplace(loop);
  // More than the socket buffer holds, and nobody reads: the write stays
  // pending until the teardown cancels it.
  std::string bytes(8 << 20, 'x');
  uv_buf_t buf = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
  uv_write_t write;
  write.data = &owned;
  ASSERT_EQ(uv_write(&write, writing.stream(), &buf, 1,
                     [](uv_write_t* request, int status) {
                       EXPECT_EQ(status, UV_ECANCELED);
                       static_cast<std::optional<UvHandle<uv_timer_t>>*>(
                           request->data)
                           ->reset();
                     }),
            0);
  EXPECT_TRUE(DrainAndCloseLoop(loop).ok());
  EXPECT_FALSE(owned.has_value()) << "the cancelled write's callback ran";
}

TEST_F(TornDownLoopTest, AnOwnerDestroyedWhileTheTeardownClosesItsHandle) {
  DestroyOwnerDuringTeardown(loop_.get(), /*handle_first=*/true);
  loop_.reset();
}

TEST_F(TornDownLoopTest, AnOwnerDestroyedAfterTheTeardownClosedItsHandle) {
  DestroyOwnerDuringTeardown(loop_.get(), /*handle_first=*/false);
  loop_.reset();
}
#endif

}  // namespace
}  // namespace bulkhead::ipc
