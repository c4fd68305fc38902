// Channel against a raw peer that breaks the protocol: every violation closes
// the channel with kProtocolViolation and fails its calls, never crashes.
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ipc/channel.h"
#include "ipc/frame_codec.h"
#include "ipc/proto/envelope.pb.h"
#include "tests/ipc/channel_test_fixture.h"
#include "tests/ipc/sample_messages.pb.h"

namespace bulkhead::ipc::testing {
namespace {

// ---- Protocol violations from a raw peer ----

struct ViolationCase {
  const char* name;
  std::function<std::string()> bytes;
};

Envelope WithSeq(Envelope envelope) {
  envelope.set_seq(1);
  return envelope;
}

std::vector<ViolationCase> ViolationCases() {
  return {
      {"GarbageFrame", [] { return Header(4) + "\xff\xff\xff\xff"; }},
      {"OversizeHeader", [] { return Header(kDefaultMaxFrameSize + 1); }},
      {"HugeHeader", [] { return std::string("\xff\xff\xff\xff"); }},
      {"ReplyToACallNeverMade",
       [] {
         Envelope e;
         e.set_is_reply(true);
         e.set_call_id(99);
         e.mutable_message()->PackFrom(LayoutTextResponse());
         return Frame(WithSeq(e));
       }},
      {"UnhandledControlMessage",
       [] {
         Envelope e;
         e.mutable_control()->mutable_welcome()->set_helper_id(1);
         return Frame(WithSeq(e));
       }},
      {"ControlWithoutKind",
       [] {
         Envelope e;
         e.mutable_control();
         return Frame(WithSeq(e));
       }},
      {"UnservedControlCall",
       [] {
         Envelope e;
         e.set_call_id(7);
         e.mutable_control()->mutable_hello()->set_role("renderer");
         return Frame(WithSeq(e));
       }},
      {"EnvelopeWithoutBody", [] { return Frame(WithSeq(Envelope())); }},
      {"EmptyFrame", [] { return Header(0); }},
      {"CallWithoutBody",
       [] {
         Envelope e;
         e.set_call_id(7);
         return Frame(WithSeq(e));
       }},
      {"MessageNotParsingAsItsType",
       [] {
         Envelope e;
         e.mutable_message()->set_type_url(
             "type.googleapis.com/bulkhead.ipc.testing.LayoutTextRequest");
         e.mutable_message()->set_value("\xff\xff\xff");
         return Frame(WithSeq(e));
       }},
      // Bytes the in-place reader leaves to protobuf, judged as before.
      {"ControlBodyNotParsing",
       [] {
         return Header(7) + std::string("\x08\x01\x22\x03\xff\xff\xff", 7);
       }},
      {"MessageWithAnErrorNotParsing",
       [] {
         Envelope e;
         e.mutable_message()->PackFrom(Request("x", 1));
         const std::string payload = WithSeq(e).SerializeAsString() +
                                     std::string("\x32\x02\xff\xff", 4);
         return Header(static_cast<uint32_t>(payload.size())) + payload;
       }},
      {"TypeUrlWithoutSlash",
       [] {
         Envelope e;
         e.mutable_message()->PackFrom(Request("x", 1));
         e.mutable_message()->set_type_url(
             "bulkhead.ipc.testing.LayoutTextRequest");
         return Frame(WithSeq(e));
       }},
      {"RequestNotParsingAsItsType",
       [] {
         Envelope e;
         e.set_call_id(7);
         e.mutable_message()->set_type_url(
             "type.googleapis.com/bulkhead.ipc.testing.LayoutTextRequest");
         e.mutable_message()->set_value("\xff\xff\xff");
         return Frame(WithSeq(e));
       }},
  };
}

class ChannelViolationTest
    : public ChannelTest,
      public ::testing::WithParamInterface<ViolationCase> {};

TEST_P(ChannelViolationTest, ClosesWithProtocolViolationAndFailsCalls) {
  CreateWithRawPeer();
  int messages = 0;
  a_->On<LayoutTextRequest>([&](const LayoutTextRequest&) { ++messages; });
  a_->Serve<LayoutTextRequest, LayoutTextResponse>(OneWordPerLine);
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  CallLog& log = NewLog();
  CallFromA(&log, absl::Seconds(60));

  ASSERT_EQ(raw_.Write(GetParam().bytes()), absl::OkStatus());
  ASSERT_TRUE(RunUntil([&] { return a_closed_.count > 0; }))
      << "channel stayed open";
  EXPECT_EQ(a_closed_.count, 1);
  EXPECT_EQ(a_closed_.reason, CloseReason::kProtocolViolation)
      << ReasonName(a_closed_.reason);
  EXPECT_FALSE(a_closed_.detail.ok());
  EXPECT_FALSE(a_->is_open());
  EXPECT_EQ(log.count, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnavailable)
      << log.result->status();
  EXPECT_EQ(messages, 0);
  EXPECT_EQ(a_->Send(Request("x", 1)).code(), absl::StatusCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(
    RawPeer, ChannelViolationTest, ::testing::ValuesIn(ViolationCases()),
    [](const ::testing::TestParamInfo<ViolationCase>& info) {
      return std::string(info.param.name);
    });

TEST_F(ChannelTest, ReplyOfTheWrongTypeIsAViolation) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  CallLog& log = NewLog();
  CallFromA(&log);
  ASSERT_EQ(ReadFromRaw(1).size(), 1u);
  const Envelope* call = &raw_.frames()[0];
  Envelope reply;
  reply.set_seq(1);
  reply.set_call_id(call->call_id());
  reply.set_is_reply(true);
  reply.mutable_control()->mutable_pong()->set_nonce(
      1);  // Not a LayoutTextResponse.
  ASSERT_EQ(raw_.Write(Frame(reply)), absl::OkStatus());
  ASSERT_TRUE(RunUntil([&] { return a_closed_.count > 0; }));
  EXPECT_EQ(a_closed_.reason, CloseReason::kProtocolViolation)
      << ReasonName(a_closed_.reason);
  EXPECT_EQ(log.count, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kDataLoss)
      << log.result->status();
}

TEST_F(ChannelTest, FramesBeforeAViolationAreStillHandled) {
  CreateWithRawPeer();
  std::vector<std::string> texts;
  a_->On<LayoutTextRequest>(
      [&](const LayoutTextRequest& m) { texts.push_back(m.text()); });
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  Envelope good;
  good.set_seq(1);
  good.mutable_message()->PackFrom(Request("good", 1));
  Envelope after;
  after.set_seq(3);
  after.mutable_message()->PackFrom(Request("after", 1));
  // One write: the good frame, garbage, then a frame that must not be
  // dispatched.
  ASSERT_EQ(
      raw_.Write(Frame(good) + Header(4) + "\xff\xff\xff\xff" + Frame(after)),
      absl::OkStatus());
  ASSERT_TRUE(RunUntil([&] { return a_closed_.count > 0; }));
  EXPECT_EQ(a_closed_.reason, CloseReason::kProtocolViolation);
  EXPECT_EQ(texts, std::vector<std::string>{"good"});
}

TEST_F(ChannelTest, FramesOutsideTheCanonicalLayoutAreStillUnderstood) {
  CreateWithRawPeer();
  std::vector<std::string> texts;
  a_->On<LayoutTextRequest>(
      [&](const LayoutTextRequest& m) { texts.push_back(m.text()); });
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  Envelope e;
  e.set_seq(1);
  e.mutable_message()->PackFrom(Request("unknown field", 1));
  // An unknown field (15), then a frame with its seq twice: protobuf takes
  // both, and so must the channel.
  const std::string unknown = e.SerializeAsString() + "\x78\x01";
  e.mutable_message()->PackFrom(Request("seq twice", 1));
  const std::string twice = "\x08\x02" + e.SerializeAsString();
  ASSERT_EQ(raw_.Write(Header(static_cast<uint32_t>(unknown.size())) + unknown +
                       Header(static_cast<uint32_t>(twice.size())) + twice),
            absl::OkStatus());
  ASSERT_TRUE(RunUntil([&] { return texts.size() == 2; }));
  EXPECT_EQ(texts, (std::vector<std::string>{"unknown field", "seq twice"}));
  EXPECT_EQ(a_closed_.count, 0);
}

}  // namespace
}  // namespace bulkhead::ipc::testing
