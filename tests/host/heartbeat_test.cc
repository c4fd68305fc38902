// The heartbeat on a real libuv loop, with the Ping's answer in the test's
// hands: when an unanswered Ping convicts the helper as hung, and when it
// does not because the helper is busy on a call. Every wait is on an event,
// bounded by a deadline.
#include "host/heartbeat.h"

#include <uv.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/run_loop.h"

namespace bulkhead {
namespace {

using PingDone = absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)>;

class HeartbeatTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

  void TearDown() override {
    heartbeat_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle is left on the loop";
  }

  // A heartbeat that pings every 10 ms; each Ping waits in pings_ for the
  // test to answer it. The helper is busy while busy_until_ is set.
  void StartHeartbeat() {
    Heartbeat::Options options;
    options.interval = absl::Milliseconds(10);
    options.timeout = absl::Milliseconds(50);
    heartbeat_ = std::make_unique<Heartbeat>(
        &loop_, options,
        [this](absl::Time, PingDone done) {
          pings_.push_back(std::move(done));
        },
        [] { return uint64_t{0}; },
        [this](HostAction action, std::string detail) {
          verdicts_.emplace_back(action, std::move(detail));
        },
        [this] { return busy_until_; });
    heartbeat_->Start();
  }

  // Runs the loop until `done()` or 5 s; false on timeout.
  bool RunUntil(const std::function<bool()>& done) {
    return testing::RunLoopUntil(&loop_, done);
  }

  // The oldest unanswered Ping, answered as its deadline passing.
  void TimeOutOldestPing() {
    PingDone done = std::move(pings_.front());
    pings_.erase(pings_.begin());
    done(absl::DeadlineExceededError("no Pong"));
  }

  uv_loop_t loop_;
  std::unique_ptr<Heartbeat> heartbeat_;
  std::vector<PingDone> pings_;
  std::vector<std::pair<HostAction, std::string>> verdicts_;
  std::optional<absl::Time> busy_until_;
};

TEST_F(HeartbeatTest, AnUnansweredPingWhileNotBusyConvictsAsHung) {
  StartHeartbeat();
  ASSERT_TRUE(RunUntil([&] { return !pings_.empty(); }));
  TimeOutOldestPing();
  ASSERT_EQ(verdicts_.size(), 1u);
  EXPECT_EQ(verdicts_[0].first, HostAction::kKilledAsHung);
  EXPECT_EQ(verdicts_[0].second, "no Pong within 50ms");
}

TEST_F(HeartbeatTest, AnUnansweredPingWhileBusyDoesNotConvict) {
  busy_until_ = absl::Now() + absl::Seconds(10);
  StartHeartbeat();
  ASSERT_TRUE(RunUntil([&] { return !pings_.empty(); }));
  TimeOutOldestPing();
  EXPECT_TRUE(verdicts_.empty());
}

// The Ping went out while a handler blocked the helper's loop; the handler
// returned just before the Ping's deadline, too late for the helper to
// answer the Ping in time. Not hung: the next Ping, sent while it is not
// busy, decides.
TEST_F(HeartbeatTest, APingSentWhileBusyDoesNotConvictOnceTheCallHasEnded) {
  busy_until_ = absl::Now() + absl::Seconds(10);
  StartHeartbeat();
  ASSERT_TRUE(RunUntil([&] { return !pings_.empty(); }));
  busy_until_.reset();  // The call ended; its reply went out.
  TimeOutOldestPing();
  EXPECT_TRUE(verdicts_.empty()) << "convicted: " << verdicts_.front().second;
  // The next Ping, sent while idle, unanswered: hung.
  ASSERT_TRUE(RunUntil([&] { return !pings_.empty(); }));
  TimeOutOldestPing();
  ASSERT_EQ(verdicts_.size(), 1u);
  EXPECT_EQ(verdicts_[0].first, HostAction::kKilledAsHung);
}

TEST_F(HeartbeatTest, AnAnsweredPingConvictsNothing) {
  StartHeartbeat();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(RunUntil([&] { return !pings_.empty(); }));
    PingDone done = std::move(pings_.front());
    pings_.erase(pings_.begin());
    done(absl::Milliseconds(1));
  }
  EXPECT_TRUE(verdicts_.empty());
}

// Many helpers must not each wake the host for its own Ping: heartbeats of
// one loop started a few milliseconds apart (within one slot of a tenth of
// the interval) tick in the same timer pass.
TEST_F(HeartbeatTest, HeartbeatsStartedApartPingInTheSameLoopPass) {
  Heartbeat::Options options;
  options.interval = absl::Milliseconds(100);
  options.timeout = absl::Seconds(5);
  std::vector<uint64_t> pinged_at[2];  // uv_now() at each heartbeat's Pings.
  std::unique_ptr<Heartbeat> beats[2];
  auto make = [&](int i) {
    beats[i] = std::make_unique<Heartbeat>(
        &loop_, options,
        [this, &pinged_at, i](absl::Time, PingDone done) {
          pinged_at[i].push_back(uv_now(&loop_));
          done(absl::Milliseconds(1));
        },
        [] { return uint64_t{0}; },
        [this](HostAction action, std::string detail) {
          verdicts_.emplace_back(action, std::move(detail));
        });
    beats[i]->Start();
  };
  // The first starts 1 ms into a 10 ms slot of the loop's clock, the second
  // 4 ms or more later in the same slot (a late wake-up tries again).
  auto now = [this] {
    uv_update_time(&loop_);
    return uv_now(&loop_);
  };
  for (int attempt = 0; !beats[1] && attempt < 100; ++attempt) {
    while (now() % 10 != 1) {
    }
    const uint64_t first = uv_now(&loop_);
    make(0);
    while (now() < first + 4) {
    }
    if (uv_now(&loop_) / 10 == first / 10) {
      make(1);
    } else {
      beats[0].reset();
    }
  }
  ASSERT_TRUE(beats[1]) << "never started both within one slot";
  ASSERT_TRUE(RunUntil([&] { return pinged_at[1].size() >= 2; }));
  for (uint64_t at : pinged_at[1]) {
    EXPECT_NE(std::find(pinged_at[0].begin(), pinged_at[0].end(), at),
              pinged_at[0].end())
        << "the second heartbeat pinged at " << at
        << " ms, in no pass where the first did";
  }
  // And each Ping came at least one interval after the last: the grid
  // rounds up to a slot, never down. (The bound above, a slot more, is not
  // checked: a busy machine wakes the loop late.)
  for (const std::vector<uint64_t>& times : pinged_at) {
    for (size_t k = 1; k < times.size(); ++k) {
      EXPECT_GE(times[k] - times[k - 1], 100u);
    }
  }
  beats[0].reset();
  beats[1].reset();
  EXPECT_TRUE(verdicts_.empty());
}

}  // namespace
}  // namespace bulkhead
