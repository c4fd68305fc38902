#include "ipc/envelope_codec.h"

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "ipc/frame_codec.h"
#include "ipc/proto/envelope.pb.h"
#include "tests/ipc/sample_messages.pb.h"

namespace bulkhead::ipc {
namespace {

using testing::LayoutTextRequest;

// The frame protobuf makes of `envelope`: what AppendEnvelopeFrame must match.
std::string ProtobufFrame(const Envelope& envelope) {
  std::string out;
  EXPECT_TRUE(AppendFrame(envelope, kDefaultMaxFrameSize, &out).ok());
  return out;
}

std::string CodecFrame(const OutgoingEnvelope& envelope) {
  std::string out;
  EXPECT_TRUE(AppendEnvelopeFrame(envelope, kDefaultMaxFrameSize, &out).ok());
  return out;
}

LayoutTextRequest Request(absl::string_view text, uint32_t width) {
  LayoutTextRequest request;
  request.set_text(std::string(text));
  request.set_width(width);
  return request;
}

TEST(EnvelopeCodecTest, AppMessageIsWhatProtobufWrites) {
  for (uint64_t seq : std::initializer_list<uint64_t>{0, 1, 300, UINT64_MAX}) {
    for (uint64_t call_id :
         std::initializer_list<uint64_t>{0, 7, uint64_t{1} << 40}) {
      for (bool is_reply : {false, true}) {
        const LayoutTextRequest request = Request("some text", 32);
        Envelope expected;
        expected.set_seq(seq);
        expected.set_call_id(call_id);
        expected.set_is_reply(is_reply);
        expected.mutable_message()->PackFrom(request);
        OutgoingEnvelope envelope;
        envelope.seq = seq;
        envelope.call_id = call_id;
        envelope.is_reply = is_reply;
        envelope.message = &request;
        EXPECT_EQ(CodecFrame(envelope), ProtobufFrame(expected))
            << seq << " " << call_id << " " << is_reply;
      }
    }
  }
}

TEST(EnvelopeCodecTest, EmptyMessageHasNoValueField) {
  const LayoutTextRequest empty;
  Envelope expected;
  expected.set_seq(1);
  expected.mutable_message()->PackFrom(empty);
  OutgoingEnvelope envelope;
  envelope.seq = 1;
  envelope.message = &empty;
  EXPECT_EQ(CodecFrame(envelope), ProtobufFrame(expected));
}

TEST(EnvelopeCodecTest, AttachmentsAreWhatProtobufWritesAndParseInPlace) {
  const LayoutTextRequest request = Request("in shared memory", 9);
  for (uint32_t handles : {0u, 1u, 63u, 300u}) {
    for (uint64_t shared :
         std::initializer_list<uint64_t>{0, 65537, uint64_t{1} << 33}) {
      Envelope expected;
      expected.set_seq(5);
      // A shared body leaves only the type in the frame.
      if (shared != 0) {
        expected.mutable_message()->set_type_url(
            "type.googleapis.com/bulkhead.ipc.testing.LayoutTextRequest");
      } else {
        expected.mutable_message()->PackFrom(request);
      }
      expected.set_attached_handles(handles);
      expected.set_shared_body_size(shared);
      const uint32_t region = shared != 0 ? 16 : 0;
      const uint64_t region_size = shared != 0 ? shared * 2 : 0;
      expected.set_shared_region_id(region);
      expected.set_shared_region_size(region_size);
      OutgoingEnvelope envelope;
      envelope.seq = 5;
      envelope.message = &request;
      envelope.attached_handles = handles;
      envelope.shared_body_size = shared;
      envelope.shared_region_id = region;
      envelope.shared_region_size = region_size;
      const std::string frame = CodecFrame(envelope);
      EXPECT_EQ(frame, ProtobufFrame(expected)) << handles << " " << shared;
      EnvelopeView view;
      ASSERT_TRUE(ParseCanonicalEnvelope(
          absl::string_view(frame).substr(kFrameHeaderSize), &view));
      EXPECT_EQ(view.attached_handles, handles);
      EXPECT_EQ(view.shared_body_size, shared);
      EXPECT_EQ(view.shared_region_id, region);
      EXPECT_EQ(view.shared_region_size, region_size);
      EXPECT_EQ(view.value.empty(), shared != 0);
    }
  }
}

TEST(EnvelopeCodecTest, HandleValuesAreWhatProtobufWritesAndParseInPlace) {
  const LayoutTextRequest request = Request("with handles", 2);
  const std::vector<uint64_t> values = {0x44, 0x7ffffff0, ~uint64_t{0}};
  Envelope expected;
  expected.set_seq(2);
  expected.mutable_message()->PackFrom(request);
  expected.set_attached_handles(3);
  for (const uint64_t value : values) expected.add_handle_values(value);
  OutgoingEnvelope envelope;
  envelope.seq = 2;
  envelope.message = &request;
  envelope.attached_handles = 3;
  envelope.handle_values = values;
  const std::string frame = CodecFrame(envelope);
  EXPECT_EQ(frame, ProtobufFrame(expected));
  EnvelopeView view;
  ASSERT_TRUE(ParseCanonicalEnvelope(
      absl::string_view(frame).substr(kFrameHeaderSize), &view));
  EXPECT_EQ(HandleValuesOf(view), values);
  // And from a parsed Envelope, beside a Control in the same scratch.
  Envelope parsed = expected;
  parsed.mutable_control()->mutable_ping()->set_nonce(3);
  std::string scratch;
  const EnvelopeView from_parsed = ViewOfEnvelope(parsed, &scratch);
  EXPECT_EQ(HandleValuesOf(from_parsed), values);
  Control control;
  ASSERT_TRUE(
      control.ParseFromArray(from_parsed.control.data(),
                             static_cast<int>(from_parsed.control.size())));
  EXPECT_EQ(control.ping().nonce(), 3u);
  // A packed field whose length is not a whole number of values is left to
  // protobuf (which refuses it).
  EXPECT_FALSE(ParseCanonicalEnvelope(
      absl::string_view("\x5a\x03\x01\x02\x03", 5), &view));
}

TEST(EnvelopeCodecTest, ControlAndErrorAreWhatProtobufWrites) {
  Control control;
  control.mutable_ping()->set_nonce(99);
  Envelope expected;
  expected.set_seq(5);
  expected.set_call_id(3);
  *expected.mutable_control() = control;
  OutgoingEnvelope envelope;
  envelope.seq = 5;
  envelope.call_id = 3;
  envelope.control = &control;
  EXPECT_EQ(CodecFrame(envelope), ProtobufFrame(expected));

  // An empty Control is still a present body.
  const Control empty;
  expected.mutable_control()->Clear();
  envelope.control = &empty;
  EXPECT_EQ(CodecFrame(envelope), ProtobufFrame(expected));

  const absl::Status error = absl::NotFoundError("no such thing");
  Envelope failed;
  failed.set_seq(2);
  failed.set_call_id(9);
  failed.set_is_reply(true);
  failed.mutable_error()->set_code(static_cast<int>(error.code()));
  failed.mutable_error()->set_message(std::string(error.message()));
  OutgoingEnvelope reply;
  reply.seq = 2;
  reply.call_id = 9;
  reply.is_reply = true;
  reply.error = &error;
  EXPECT_EQ(CodecFrame(reply), ProtobufFrame(failed));
}

TEST(EnvelopeCodecTest, OverTheFrameLimitIsRefusedAndLeavesTheBufferAlone) {
  const LayoutTextRequest request = Request(std::string(1000, 'x'), 1);
  OutgoingEnvelope envelope;
  envelope.message = &request;
  std::string out = "kept";
  const absl::Status status = AppendEnvelopeFrame(envelope, 100, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "kept");
}

TEST(EnvelopeCodecTest, CanonicalFramesParseInPlace) {
  const LayoutTextRequest request = Request("hello", 7);
  OutgoingEnvelope envelope;
  envelope.seq = 12;
  envelope.call_id = 34;
  envelope.message = &request;
  const std::string frame = CodecFrame(envelope);
  const absl::string_view payload =
      absl::string_view(frame).substr(kFrameHeaderSize);
  EnvelopeView view;
  ASSERT_TRUE(ParseCanonicalEnvelope(payload, &view));
  EXPECT_EQ(view.seq, 12u);
  EXPECT_EQ(view.call_id, 34u);
  EXPECT_FALSE(view.is_reply);
  EXPECT_EQ(view.body, EnvelopeView::Body::kMessage);
  EXPECT_EQ(view.type_url,
            "type.googleapis.com/bulkhead.ipc.testing.LayoutTextRequest");
  EXPECT_EQ(TypeNameOfUrl(view.type_url),
            "bulkhead.ipc.testing.LayoutTextRequest");
  EXPECT_TRUE(
      TypeUrlIs(view.type_url, "bulkhead.ipc.testing.LayoutTextRequest"));
  // In place: the value is a view into the frame, not a copy.
  EXPECT_GE(view.value.data(), payload.data());
  EXPECT_LE(view.value.data() + view.value.size(),
            payload.data() + payload.size());
  LayoutTextRequest parsed;
  ASSERT_TRUE(parsed.ParseFromArray(view.value.data(),
                                    static_cast<int>(view.value.size())));
  EXPECT_EQ(parsed.text(), "hello");
  EXPECT_EQ(parsed.width(), 7u);
}

TEST(EnvelopeCodecTest, TypeUrlIsNeedsTheSlash) {
  EXPECT_FALSE(TypeUrlIs("bulkhead.ipc.Ping", "bulkhead.ipc.Ping"));
  EXPECT_FALSE(TypeUrlIs("x/abulkhead.ipc.Ping", "bulkhead.ipc.Ping"));
  EXPECT_TRUE(TypeUrlIs("x/bulkhead.ipc.Ping", "bulkhead.ipc.Ping"));
}

TEST(EnvelopeCodecTest, NonCanonicalFramesAreLeftToProtobuf) {
  EnvelopeView view;
  // A field twice (seq), an unknown field (15), a body twice, a type URL that
  // is not ASCII, a truncated length, a varint that never ends.
  EXPECT_FALSE(
      ParseCanonicalEnvelope(absl::string_view("\x08\x01\x08\x02", 4), &view));
  EXPECT_FALSE(ParseCanonicalEnvelope(absl::string_view("\x78\x01", 2), &view));
  EXPECT_FALSE(
      ParseCanonicalEnvelope(absl::string_view("\x22\x00\x2a\x00", 4), &view));
  EXPECT_FALSE(ParseCanonicalEnvelope(
      absl::string_view("\x2a\x03\x0a\x01\xff", 5), &view));
  EXPECT_FALSE(
      ParseCanonicalEnvelope(absl::string_view("\x22\x05\x00", 3), &view));
  EXPECT_FALSE(
      ParseCanonicalEnvelope(absl::string_view("\x08\xff\xff", 3), &view));
  // The empty frame is an empty Envelope: canonical, without a body.
  ASSERT_TRUE(ParseCanonicalEnvelope(absl::string_view(), &view));
  EXPECT_EQ(view.body, EnvelopeView::Body::kNone);
}

TEST(EnvelopeCodecTest, ViewOfAParsedEnvelopeKeepsControlAndError) {
  Envelope envelope;
  envelope.set_seq(4);
  envelope.mutable_control()->mutable_pong()->set_nonce(8);
  envelope.mutable_error()->set_code(5);
  std::string scratch;
  const EnvelopeView view = ViewOfEnvelope(envelope, &scratch);
  EXPECT_EQ(view.seq, 4u);
  ASSERT_EQ(view.body, EnvelopeView::Body::kControl);
  Control control;
  ASSERT_TRUE(control.ParseFromArray(view.control.data(),
                                     static_cast<int>(view.control.size())));
  EXPECT_EQ(control.pong().nonce(), 8u);
  ASSERT_TRUE(view.has_error);
  Error error;
  ASSERT_TRUE(error.ParseFromArray(view.error.data(),
                                   static_cast<int>(view.error.size())));
  EXPECT_EQ(error.code(), 5);
}

// Whatever the canonical reader accepts, protobuf accepts too, with the same
// fields: mutated frames (bytes flipped, cut, extended) are judged by both.
TEST(EnvelopeCodecTest, CanonicalReaderAgreesWithProtobuf) {
  std::mt19937 random(1234);
  const LayoutTextRequest request = Request("agree", 3);
  Control control;
  control.mutable_hello()->set_role("renderer");
  const absl::Status error = absl::InternalError("boom");
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    OutgoingEnvelope envelope;
    envelope.seq = random() % 1000;
    envelope.call_id = random() % 3;
    envelope.is_reply = random() % 2 == 0;
    switch (random() % 3) {
      case 0:
        envelope.message = &request;
        break;
      case 1:
        envelope.control = &control;
        break;
      default:
        envelope.error = &error;
        break;
    }
    const uint64_t values[] = {random(), random()};
    if (random() % 4 == 0) envelope.handle_values = values;
    std::string frame = CodecFrame(envelope).substr(kFrameHeaderSize);
    const int mutations = static_cast<int>(random() % 4);
    for (int m = 0; m < mutations && !frame.empty(); ++m) {
      const size_t at = random() % frame.size();
      switch (random() % 3) {
        case 0:
          frame[at] = static_cast<char>(random());
          break;
        case 1:
          frame.resize(at);
          break;
        default:
          frame.insert(at, 1, static_cast<char>(random()));
          break;
      }
    }
    EnvelopeView view;
    if (!ParseCanonicalEnvelope(frame, &view)) continue;
    ++accepted;
    Envelope parsed;
    if (!parsed.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
      // Only nested bytes the reader leaves to protobuf may be at fault.
      Control nested_control;
      Error nested_error;
      const bool control_ok =
          view.body != EnvelopeView::Body::kControl ||
          nested_control.ParseFromArray(view.control.data(),
                                        static_cast<int>(view.control.size()));
      const bool error_ok =
          !view.has_error ||
          nested_error.ParseFromArray(view.error.data(),
                                      static_cast<int>(view.error.size()));
      EXPECT_FALSE(control_ok && error_ok)
          << "canonical reader accepted what protobuf refuses, case " << i;
      continue;
    }
    EXPECT_EQ(view.seq, parsed.seq());
    EXPECT_EQ(view.call_id, parsed.call_id());
    EXPECT_EQ(view.is_reply, parsed.is_reply());
    EXPECT_EQ(view.has_error, parsed.has_error());
    EXPECT_EQ(HandleValuesOf(view),
              std::vector<uint64_t>(parsed.handle_values().begin(),
                                    parsed.handle_values().end()));
    switch (parsed.body_case()) {
      case Envelope::kMessage:
        ASSERT_EQ(view.body, EnvelopeView::Body::kMessage);
        EXPECT_EQ(view.type_url, parsed.message().type_url());
        EXPECT_EQ(view.value, parsed.message().value());
        break;
      case Envelope::kControl:
        EXPECT_EQ(view.body, EnvelopeView::Body::kControl);
        break;
      case Envelope::BODY_NOT_SET:
        EXPECT_EQ(view.body, EnvelopeView::Body::kNone);
        break;
    }
  }
  EXPECT_GT(accepted, 5000);  // The unmutated quarter at least.
}

}  // namespace
}  // namespace bulkhead::ipc
