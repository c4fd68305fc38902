// Channel: calls and their deadlines.
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

// ---- Deadlines ----

TEST_F(ChannelTest, CallToASilentPeerExceedsItsDeadline) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  constexpr absl::Duration kTimeout = absl::Milliseconds(50);
  const absl::Time start = absl::Now();
  CallLog& log = NewLog();
  CallFromA(&log, kTimeout);
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }));
  const absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(log.count, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kDeadlineExceeded)
      << log.result->status();
  EXPECT_GE(waited, kTimeout) << "expired early";
  // A slow peer is not a broken channel.
  EXPECT_TRUE(a_->is_open());
  EXPECT_EQ(a_closed_.count, 0);
  EXPECT_EQ(a_->pending_calls(), 0u);
}

TEST_F(ChannelTest, CallWithPastDeadlineExpiresOnTheNextLoopTurn) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  CallLog& log = NewLog();
  CallFromA(&log, -absl::Seconds(1));
  EXPECT_EQ(log.count, 0);  // Not completed from inside Call().
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }));
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(ChannelTest, DeadlinesExpireInOrderAndLeaveLaterCallsPending) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  std::vector<int> order;
  auto record = [&order](int tag) {
    return [&order, tag](absl::StatusOr<LayoutTextResponse> r) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << tag;
      order.push_back(tag);
    };
  };
  const absl::Time now = absl::Now();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("x", 1), now + absl::Milliseconds(80), record(2));
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("x", 1), now + absl::Milliseconds(20), record(1));
  CallLog& far_call = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("x", 1), now + absl::Seconds(60), RecordCall(&far_call));
  ASSERT_TRUE(RunUntil([&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(a_->pending_calls(), 1u);
  EXPECT_EQ(far_call.count, 0);
}

TEST_F(ChannelTest, CallMadeBeforeStartStillExpires) {
  CreateWithRawPeer();
  CallLog& log = NewLog();
  CallFromA(&log, absl::Milliseconds(20));
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }))
      << "a call made before Start() never got DEADLINE_EXCEEDED";
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(ChannelTest, LateReplyAfterExpiryIsDroppedNotFatal) {
  CreateWithRawPeer();
  std::vector<std::string> texts;
  a_->On<LayoutTextRequest>(
      [&](const LayoutTextRequest& m) { texts.push_back(m.text()); });
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  CallLog& log = NewLog();
  CallFromA(&log, absl::Milliseconds(1));
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }));
  ASSERT_EQ(log.result->status().code(), absl::StatusCode::kDeadlineExceeded);

  ASSERT_EQ(ReadFromRaw(1).size(), 1u);
  const Envelope* call = &raw_.frames()[0];
  ASSERT_NE(call->call_id(), 0u);
  Envelope late;
  late.set_seq(1);
  late.set_call_id(call->call_id());
  late.set_is_reply(true);
  late.mutable_message()->PackFrom(LayoutTextResponse());
  Envelope marker;
  marker.set_seq(2);
  marker.mutable_message()->PackFrom(Request("after the late reply", 1));
  ASSERT_EQ(raw_.Write(Frame(late) + Frame(marker)), absl::OkStatus());

  ASSERT_TRUE(RunUntil([&] { return !texts.empty() || a_closed_.count > 0; }));
  EXPECT_EQ(texts, std::vector<std::string>{"after the late reply"});
  EXPECT_TRUE(a_->is_open());
  EXPECT_EQ(a_closed_.count, 0) << a_closed_.detail;
  EXPECT_EQ(log.count, 1);
}

}  // namespace
}  // namespace bulkhead::ipc::testing
