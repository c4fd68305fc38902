// Backpressure: a peer that does not read fills a bounded send queue, after
// which Send and Call are refused, until the queue drains.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/ipc/channel_test_fixture.h"

namespace bulkhead::ipc::testing {
namespace {

constexpr size_t kQueueLimit = 256 * 1024;

Channel::Options SmallQueue() {
  Channel::Options options;
  options.max_queued_bytes = kQueueLimit;
  return options;
}

// Sends 60 KB messages until the queue refuses one; returns how many went.
int FillQueue(Channel& channel) {
  const LayoutTextRequest big = Request(std::string(60 * 1024, 'x'), 1);
  for (int sent = 0; sent < 10000; ++sent) {
    absl::Status status = channel.Send(big);
    if (absl::IsResourceExhausted(status)) return sent;
    EXPECT_TRUE(status.ok()) << status;
    if (!status.ok()) return sent;
  }
  ADD_FAILURE() << "the queue never filled";
  return 10000;
}

TEST_F(ChannelTest, SendIsRefusedWhenThePeerDoesNotRead) {
  CreateWithRawPeer(SmallQueue());
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  const int sent = FillQueue(*a_);
  EXPECT_GT(sent, 0);
  EXPECT_GE(a_->queued_bytes(), kQueueLimit);
  // Bounded: no more than one message beyond the limit is ever queued.
  EXPECT_LT(a_->queued_bytes(), kQueueLimit + 64 * 1024);
  EXPECT_TRUE(a_->is_open());  // Refusing is not failing.
}

TEST_F(ChannelTest, DrainedFiresOnceThePeerCatchesUpAndSendsWorkAgain) {
  CreateWithRawPeer(SmallQueue());
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  int drained = 0;
  a_->OnDrained([&] { ++drained; });
  const int sent = FillQueue(*a_);
  ASSERT_GT(sent, 0);
  EXPECT_EQ(drained, 0);
  // The peer reads everything that was accepted.
  ASSERT_TRUE(raw_.WaitForFrames(static_cast<size_t>(sent)).ok());
  ASSERT_TRUE(RunUntil([&] { return drained > 0; }));
  EXPECT_EQ(drained, 1);
  EXPECT_LE(a_->queued_bytes(), kQueueLimit / 2);
  EXPECT_TRUE(a_->Send(Request("again", 1)).ok());
}

TEST_F(ChannelTest, CallsAreRefusedWhileTheQueueIsFull) {
  CreateWithRawPeer(SmallQueue());
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  FillQueue(*a_);
  CallLog& log = NewLog();
  CallFromA(&log);
  EXPECT_EQ(log.count, 0);  // Never inside the call...
  // ...but on the next turn, not at the deadline.
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }, absl::Seconds(5)));
  ASSERT_EQ(log.count, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(a_->pending_calls(), 0u);
}

TEST_F(ChannelTest, PingStillGoesThroughAFullQueue) {
  // Control traffic is small and must not be starved by app traffic: a
  // heartbeat that could not be sent would look like a hang.
  CreateWithRawPeer(SmallQueue());
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  const int sent = FillQueue(*a_);
  Control ping;
  ping.mutable_ping()->set_nonce(7);
  // Shared: the call is still pending (then cancelled) when the test ends.
  auto answered = std::make_shared<bool>(false);
  a_->CallControl(ping, absl::Now() + absl::Seconds(30),
                  [answered](absl::StatusOr<Control>) { *answered = true; });
  EXPECT_FALSE(*answered);  // Not refused: it waits for its Pong.
  ASSERT_TRUE(raw_.WaitForFrames(static_cast<size_t>(sent) + 1).ok());
  EXPECT_TRUE(raw_.frames().back().control().has_ping());
}

}  // namespace
}  // namespace bulkhead::ipc::testing
