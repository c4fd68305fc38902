// Channel: how frames leave (batched writes, one write per read's answers)
// and their sequence numbers.
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

TEST_F(ChannelTest, BurstOfSmallMessagesArrivesInOrder) {
  CreatePair();
  constexpr int kMessages = 10000;
  std::vector<uint32_t> widths;
  widths.reserve(kMessages);
  int text_mismatches = 0;
  b_->On<LayoutTextRequest>([&](const LayoutTextRequest& m) {
    if (m.text() != absl::StrCat("message ", m.width())) ++text_mismatches;
    widths.push_back(m.width());
  });
  StartPair();
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(
        a_->Send(Request(absl::StrCat("message ", i), static_cast<uint32_t>(i)))
            .ok());
  }
  ASSERT_TRUE(RunUntil([&] { return widths.size() == kMessages; }))
      << "got " << widths.size() << " of " << kMessages;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(widths[i], static_cast<uint32_t>(i)) << "out of order at " << i;
  }
  EXPECT_EQ(text_mismatches, 0);
  EXPECT_EQ(a_->frames_sent(), static_cast<uint64_t>(kMessages));
  EXPECT_EQ(b_->frames_received(), static_cast<uint64_t>(kMessages));
}

TEST_F(ChannelTest, FirstSendOfALoopTurnLeavesAtOnceTheRestTogether) {
  CreatePair();
  int received = 0;
  b_->On<LayoutTextRequest>([&](const LayoutTextRequest&) { ++received; });
  StartPair();
  ASSERT_TRUE(RunUntil([&] { return true; }));  // Start's own flush is done.
  const uint64_t writes_before = a_->writes();
  // The first leaves at once, so a sender that blocks its loop next (or
  // exits) has still said it.
  ASSERT_TRUE(a_->Send(Request("first", 0)).ok());
  EXPECT_EQ(a_->writes(), writes_before + 1);
  constexpr int kMessages = 500;  // About 20 KiB: under the eager flush.
  for (int i = 1; i < kMessages; ++i) {
    ASSERT_TRUE(a_->Send(Request("coalesced", static_cast<uint32_t>(i))).ok());
  }
  EXPECT_EQ(a_->writes(), writes_before + 1);  // The rest wait...
  ASSERT_TRUE(RunUntil([&] { return received == kMessages; }));
  EXPECT_EQ(a_->writes(), writes_before + 2);  // ...and leave in one write.
}

TEST_F(ChannelTest, RepliesToOneReadLeaveInOneWrite) {
  CreatePair();
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(&OneWordPerLine);
  StartPair();
  ASSERT_TRUE(RunUntil([&] { return true; }));
  constexpr int kCalls = 200;
  int answered = 0;
  for (int i = 0; i < kCalls; ++i) {
    a_->Call<LayoutTextRequest, LayoutTextResponse>(
        Request("a b", 10), absl::Now() + kGuard,
        [&](absl::StatusOr<LayoutTextResponse> r) {
          EXPECT_TRUE(r.ok()) << r.status();
          ++answered;
        });
  }
  ASSERT_TRUE(RunUntil([&] { return answered == kCalls; }));
  // The first call left at once, the other 199 in one write; `b_` answered
  // each read's requests in one write.
  EXPECT_EQ(a_->writes(), 2u);
  EXPECT_LE(b_->writes(), 2u);
}

TEST_F(ChannelTest, SequenceNumbersStartAtOneAndIncrease) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  ASSERT_TRUE(a_->Send(Request("a", 1)).ok());
  ASSERT_TRUE(a_->Send(Request("b", 2)).ok());
  CallLog& log = NewLog();
  CallFromA(&log);
  ASSERT_EQ(ReadFromRaw(3).size(), 3u);
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    const Envelope* envelope = &raw_.frames()[seq - 1];
    EXPECT_EQ(envelope->seq(), seq);
    EXPECT_FALSE(envelope->is_reply());
    EXPECT_EQ(envelope->call_id(), seq == 3 ? 1u : 0u);
    ASSERT_TRUE(envelope->has_message());
    EXPECT_TRUE(absl::EndsWith(envelope->message().type_url(),
                               "/bulkhead.ipc.testing.LayoutTextRequest"));
  }
}

}  // namespace
}  // namespace bulkhead::ipc::testing
