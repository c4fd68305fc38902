// Channel: closing, by either side, and what happens to calls and sends.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/platform_handle.h"
#include "gtest/gtest.h"
#include "ipc/channel.h"
#include "ipc/proto/envelope.pb.h"
#include "tests/ipc/channel_test_fixture.h"
#include "tests/ipc/sample_messages.pb.h"

namespace bulkhead::ipc::testing {
namespace {

// ---- Closing ----

TEST_F(ChannelTest, PeerClosingFailsPendingCallsAtOnce) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  CallLog& log = NewLog();
  CallFromA(&log, absl::Seconds(60));
  const absl::Time start = absl::Now();
  raw_.Close();
  ASSERT_TRUE(RunUntil([&] { return log.count > 0 && a_closed_.count > 0; }));
  EXPECT_LT(absl::Now() - start, kGuard);
  EXPECT_EQ(log.count, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a_closed_.count, 1);
  EXPECT_EQ(a_closed_.reason, CloseReason::kPeerClosed)
      << ReasonName(a_closed_.reason);
  EXPECT_FALSE(a_->is_open());
  EXPECT_EQ(a_->pending_calls(), 0u);
  EXPECT_EQ(a_->Send(Request("x", 1)).code(), absl::StatusCode::kUnavailable);
}

// A write can fail before the end of stream is read. On Windows uv_write fails
// at once (EPIPE from WriteFile); elsewhere its completion reports EPIPE.
TEST_F(ChannelTest, SendAfterThePeerClosedIsPeerClosed) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  raw_.Close();
  a_->Send(Request("into the void", 1)).IgnoreError();
  ASSERT_TRUE(RunUntil([&] { return a_closed_.count > 0; }));
  EXPECT_EQ(a_closed_.reason, CloseReason::kPeerClosed)
      << ReasonName(a_closed_.reason) << ": " << a_closed_.detail;
}

TEST_F(ChannelTest, PeerChannelDestroyedIsPeerClosed) {
  CreatePair();
  StartPair();
  CallLog& log = NewLog();
  CallFromA(&log);
  b_.reset();
  ASSERT_TRUE(RunUntil([&] { return a_closed_.count > 0; }));
  EXPECT_EQ(a_closed_.reason, CloseReason::kPeerClosed)
      << ReasonName(a_closed_.reason);
  EXPECT_EQ(log.count, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(b_closed_.count,
            0);  // The destructor does not run the close handler.
}

TEST_F(ChannelTest, CloseFailsCallsAndRefusesSends) {
  CreatePair();
  StartPair();
  CallLog& before = NewLog();
  CallFromA(&before);
  a_->Close();
  // Synchronous: the handler and the completion ran inside Close().
  EXPECT_EQ(a_closed_.count, 1);
  EXPECT_EQ(a_closed_.reason, CloseReason::kClosedLocally)
      << ReasonName(a_closed_.reason);
  EXPECT_EQ(before.count, 1);
  EXPECT_EQ(before.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(a_->is_open());

  EXPECT_EQ(a_->Send(Request("x", 1)).code(), absl::StatusCode::kUnavailable);
  Control ping;
  ping.mutable_ping()->set_nonce(1);
  EXPECT_EQ(a_->SendControl(ping).code(), absl::StatusCode::kUnavailable);
  CallLog& after = NewLog();
  CallFromA(&after);
  EXPECT_EQ(after.count, 0);  // Never inside the call: on the next turn.
  ASSERT_TRUE(RunUntil([&] { return after.count > 0; }, absl::Seconds(5)));
  EXPECT_EQ(after.count, 1);
  EXPECT_EQ(after.result->status().code(), absl::StatusCode::kUnavailable);

  a_->Close();  // Idempotent: the handler does not run again.
  a_->CloseForViolation(absl::InternalError("too late"));
  EXPECT_EQ(a_closed_.count, 1);
  EXPECT_EQ(a_closed_.reason, CloseReason::kClosedLocally);
}

TEST_F(ChannelTest, CloseForViolationReportsTheReason) {
  CreatePair();
  StartPair();
  CallLog& log = NewLog();
  CallFromA(&log);
  a_->CloseForViolation(absl::InvalidArgumentError("Hello claims role 'gpu'"));
  EXPECT_EQ(a_closed_.count, 1);
  EXPECT_EQ(a_closed_.reason, CloseReason::kProtocolViolation);
  EXPECT_EQ(a_closed_.detail.message(), "Hello claims role 'gpu'");
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(
      absl::StrContains(log.result->status().message(), "Hello claims role"))
      << log.result->status();
}

TEST_F(ChannelTest, StartTwiceFails) {
  CreatePair();
  StartPair();
  EXPECT_EQ(a_->Start(nullptr).code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<HandlePair> other = CreateStreamPair();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(a_->Open(std::move(other->first)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ChannelTest, DestroyingWithAPendingCallCancelsItOnce) {
  // The far end stays a bare handle until a channel opens it below.
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  a_ = Channel::Create(&loop_);
  ASSERT_TRUE(a_->Open(std::move(pair->first)).ok());
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  CallLog& log = NewLog();
  CallFromA(&log, absl::Milliseconds(30));
  a_.reset();
  EXPECT_EQ(log.count, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(a_closed_.count, 0);  // Not run by the destructor.

  // Wait until the destroyed channel's end is really closed (its peer sees
  // EOF), and past the old deadline: the completion must not run again.
  std::unique_ptr<Channel> peer = Channel::Create(&loop_);
  ASSERT_TRUE(peer->Open(std::move(pair->second)).ok());
  CloseLog peer_closed;
  ASSERT_TRUE(peer->Start(RecordClose(&peer_closed)).ok());
  ASSERT_TRUE(RunUntil([&] { return peer_closed.count > 0; }));
  EXPECT_EQ(peer_closed.reason, CloseReason::kPeerClosed)
      << ReasonName(peer_closed.reason);
  bool waited = false;
  UvHandle<uv_timer_t> timer(&loop_);
  timer->data = &waited;
  uv_timer_start(
      timer.get(), [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
      60, 0);
  ASSERT_TRUE(RunUntil([&] { return waited; }));
  EXPECT_EQ(log.count, 1);
}

}  // namespace
}  // namespace bulkhead::ipc::testing
