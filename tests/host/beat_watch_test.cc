// The heartbeat's Pings answered from a helper's Beats, on a real libuv loop
// with the Beats in the test's hands. Every wait is on an event, bounded by a
// deadline.
#include "host/beat_watch.h"

#include <uv.h>

#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/run_loop.h"

namespace bulkhead {
namespace {

class BeatWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

  // A watch whose Beats are fresh for `fresh_for`, and, with `stale`, whose
  // first (the one it counts at its start) has gone stale.
  void MakeWatch(absl::Duration fresh_for, bool stale) {
    watch_.emplace(&loop_, fresh_for);
    if (stale) {
      ASSERT_TRUE(RunUntil([&] { return watch_->Overdue().has_value(); }));
    }
  }

  void TearDown() override {
    watch_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle is left on the loop";
  }

  // A Ping whose answer lands in answer_.
  void Ping(absl::Duration timeout) {
    watch_->Ping(absl::Now() + timeout,
                 [this](absl::StatusOr<absl::Duration> result) {
                   answer_ = std::move(result);
                 });
  }

  // Runs the loop until `done()` or 5 s; false on timeout.
  bool RunUntil(const std::function<bool()>& done) {
    return testing::RunLoopUntil(&loop_, done);
  }

  uv_loop_t loop_;
  std::optional<BeatWatch> watch_;
  std::optional<absl::StatusOr<absl::Duration>> answer_;
};

TEST_F(BeatWatchTest, AFreshBeatAnswersAtOnceAndAgain) {
  MakeWatch(absl::Seconds(5), /*stale=*/false);  // Its start counts.
  for (int i = 0; i < 2; ++i) {
    answer_.reset();
    Ping(absl::Seconds(5));
    ASSERT_TRUE(answer_.has_value()) << "not answered inside the call";
    ASSERT_TRUE(answer_->ok()) << answer_->status();
    EXPECT_EQ(**answer_, absl::ZeroDuration());
  }
  EXPECT_FALSE(watch_->Overdue().has_value());
}

TEST_F(BeatWatchTest, AStalePingWaitsForTheNextBeat) {
  MakeWatch(absl::Milliseconds(10), /*stale=*/true);
  const absl::Time before = absl::Now();
  Ping(absl::Seconds(5));
  EXPECT_FALSE(answer_.has_value());
  // The Beat comes from the loop, as a helper's would.
  uv_timer_t beat;
  uv_timer_init(&loop_, &beat);
  beat.data = &*watch_;
  uv_timer_start(
      &beat,
      [](uv_timer_t* timer) { static_cast<BeatWatch*>(timer->data)->OnBeat(); },
      20, 0);
  const bool answered = RunUntil([&] { return answer_.has_value(); });
  uv_close(reinterpret_cast<uv_handle_t*>(&beat), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);  // Its close callback: it is on our stack.
  ASSERT_TRUE(answered);
  ASSERT_TRUE(answer_->ok()) << answer_->status();
  // How long it waited, as measured by the watch: the Beat's 20 ms at least,
  // and no more than the test saw pass (the watch's monotonic clock and
  // absl::Now's wall clock may differ by microseconds: a millisecond's slack).
  EXPECT_GE(**answer_, absl::Milliseconds(19));
  EXPECT_LE(**answer_, absl::Now() - before + absl::Milliseconds(1));
  EXPECT_EQ(watch_->beats(), 1u);
}

TEST_F(BeatWatchTest, OverdueSaysHowLongSinceTheLastBeat) {
  const absl::Time start = absl::Now();  // Before the watch counts its start.
  MakeWatch(absl::Milliseconds(50), /*stale=*/false);
  EXPECT_FALSE(watch_->Overdue().has_value());
  ASSERT_TRUE(RunUntil([&] { return watch_->Overdue().has_value(); }));
  EXPECT_GT(*watch_->Overdue(), absl::Milliseconds(50));
  EXPECT_LE(*watch_->Overdue(), absl::Now() - start + absl::Milliseconds(1));
  watch_->OnBeat();
  EXPECT_FALSE(watch_->Overdue().has_value());
}

TEST_F(BeatWatchTest, APingWithoutABeatByItsDeadlineTimesOut) {
  MakeWatch(absl::Milliseconds(10), /*stale=*/true);
  Ping(absl::Milliseconds(30));
  ASSERT_TRUE(RunUntil([&] { return answer_.has_value(); }));
  EXPECT_TRUE(absl::IsDeadlineExceeded(answer_->status())) << answer_->status();
  // A Beat after the deadline answers nothing twice.
  answer_.reset();
  watch_->OnBeat();
  EXPECT_FALSE(answer_.has_value());
}

// A helper on its way out owes no Beat: its waiting Ping ends with the
// status given, which the heartbeat takes as no verdict.
TEST_F(BeatWatchTest, CancelAnswersTheWaitingPingOnce) {
  MakeWatch(absl::Milliseconds(10), /*stale=*/true);
  Ping(absl::Seconds(5));
  ASSERT_FALSE(answer_.has_value());
  watch_->Cancel(absl::UnavailableError("stopping"));
  ASSERT_TRUE(answer_.has_value());
  EXPECT_TRUE(absl::IsUnavailable(answer_->status())) << answer_->status();
  answer_.reset();
  watch_->Cancel(absl::UnavailableError("again"));
  watch_->OnBeat();
  EXPECT_FALSE(answer_.has_value());
}

// The heartbeat never pings twice at once, but a second Ping must not leave
// the first unanswered for ever.
TEST_F(BeatWatchTest, ASecondPingCancelsTheWaitingOne) {
  MakeWatch(absl::Milliseconds(10), /*stale=*/true);
  std::optional<absl::Status> first;
  watch_->Ping(
      absl::Now() + absl::Seconds(5),
      [&](absl::StatusOr<absl::Duration> result) { first = result.status(); });
  Ping(absl::Seconds(5));
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(absl::IsCancelled(*first)) << *first;
  EXPECT_FALSE(answer_.has_value());
  watch_->OnBeat();
  ASSERT_TRUE(answer_.has_value());
  EXPECT_TRUE(answer_->ok());
}

// A watch destroyed with a Ping waiting drops it: nothing runs later.
TEST_F(BeatWatchTest, DestroyedWithAPingWaitingCallsNothing) {
  MakeWatch(absl::Milliseconds(10), /*stale=*/true);
  Ping(absl::Milliseconds(10));
  watch_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_FALSE(answer_.has_value());
}

}  // namespace
}  // namespace bulkhead
