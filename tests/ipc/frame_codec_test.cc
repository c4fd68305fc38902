#include "ipc/frame_codec.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead::ipc {
namespace {

using ::testing::ElementsAreArray;

// A frame header for `length`, little-endian.
std::string Header(uint32_t length) {
  std::string header(kFrameHeaderSize, '\0');
  for (size_t i = 0; i < kFrameHeaderSize; ++i) {
    header[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return header;
}

Envelope PingEnvelope(uint64_t seq, uint64_t nonce) {
  Envelope envelope;
  envelope.set_seq(seq);
  envelope.set_call_id(seq);
  envelope.mutable_control()->mutable_ping()->set_nonce(nonce);
  return envelope;
}

// An envelope whose serialized size depends on `filler_size`.
Envelope ErrorEnvelope(uint64_t seq, size_t filler_size) {
  Envelope envelope;
  envelope.set_seq(seq);
  envelope.set_is_reply(true);
  envelope.mutable_error()->set_code(13);
  envelope.mutable_error()->set_message(
      std::string(filler_size, static_cast<char>('a' + seq % 26)));
  return envelope;
}

std::string Frame(const Envelope& envelope) {
  std::string out;
  absl::Status status = AppendFrame(envelope, kDefaultMaxFrameSize, &out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

// Takes every complete frame out of `decoder`, copying the payloads (they point
// into the decoder's buffer). Fails the test on a decoder error.
std::vector<std::string> Drain(FrameDecoder& decoder) {
  std::vector<std::string> payloads;
  while (true) {
    absl::StatusOr<std::optional<absl::string_view>> next = decoder.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !next->has_value()) break;
    payloads.emplace_back(**next);
  }
  return payloads;
}

// Several frames of assorted sizes, including an empty one and ones whose
// length needs more than one header byte; returns the stream and fills
// `payloads` with what it should decode to.
std::string MixedStream(std::vector<std::string>* payloads) {
  std::vector<Envelope> envelopes;
  envelopes.push_back(PingEnvelope(1, 0x1122334455667788u));
  envelopes.push_back(Envelope());  // Serializes to zero bytes.
  envelopes.push_back(ErrorEnvelope(3, 300));
  envelopes.push_back(PingEnvelope(4, 7));
  envelopes.push_back(
      ErrorEnvelope(5, 70000));  // Length needs three header bytes.
  envelopes.push_back(ErrorEnvelope(6, 1));
  std::string stream;
  for (const Envelope& envelope : envelopes) {
    EXPECT_TRUE(AppendFrame(envelope, kDefaultMaxFrameSize, &stream).ok());
    payloads->push_back(envelope.SerializeAsString());
  }
  return stream;
}

TEST(FrameCodecTest, AppendFrameWritesLittleEndianHeaderThenPayload) {
  Envelope envelope = ErrorEnvelope(9, 0x123);
  const std::string payload = envelope.SerializeAsString();
  ASSERT_GT(payload.size(), 0xffu);  // Two header bytes in use.
  std::string out = "existing";
  ASSERT_TRUE(AppendFrame(envelope, kDefaultMaxFrameSize, &out).ok());
  EXPECT_EQ(out, "existing" + Header(static_cast<uint32_t>(payload.size())) +
                     payload);
  const auto* bytes = reinterpret_cast<const unsigned char*>(out.data() + 8);
  EXPECT_EQ(bytes[0], payload.size() & 0xff);
  EXPECT_EQ(bytes[1], (payload.size() >> 8) & 0xff);
  EXPECT_EQ(bytes[2], 0);
  EXPECT_EQ(bytes[3], 0);
}

TEST(FrameCodecTest, RoundTripsAnEnvelope) {
  Envelope sent = PingEnvelope(17, 0xdeadbeefcafef00du);
  std::string stream = Frame(sent);
  ASSERT_EQ(stream.size(), kFrameHeaderSize + sent.ByteSizeLong());

  FrameDecoder decoder;
  decoder.Append(stream);
  absl::StatusOr<std::optional<absl::string_view>> next = decoder.Next();
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(next->has_value());
  Envelope received;
  ASSERT_TRUE(received.ParseFromArray((*next)->data(),
                                      static_cast<int>((*next)->size())));
  EXPECT_EQ(received.seq(), 17u);
  EXPECT_EQ(received.call_id(), 17u);
  EXPECT_FALSE(received.is_reply());
  ASSERT_TRUE(received.has_control());
  ASSERT_TRUE(received.control().has_ping());
  EXPECT_EQ(received.control().ping().nonce(), 0xdeadbeefcafef00du);
  EXPECT_EQ(received.SerializeAsString(), sent.SerializeAsString());

  absl::StatusOr<std::optional<absl::string_view>> after = decoder.Next();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameCodecTest, NeedsWholeHeaderAndPayload) {
  const std::string stream = Frame(PingEnvelope(1, 2));
  FrameDecoder decoder;
  for (size_t i = 0; i + 1 < stream.size(); ++i) {
    decoder.Append(stream.substr(i, 1));
    absl::StatusOr<std::optional<absl::string_view>> next = decoder.Next();
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_FALSE(next->has_value())
        << "frame complete after only " << i + 1 << " bytes";
    EXPECT_EQ(decoder.buffered(), i + 1);
  }
  decoder.Append(stream.substr(stream.size() - 1));
  EXPECT_EQ(Drain(decoder).size(), 1u);
}

TEST(FrameCodecTest, ByteByByteYieldsTheSamePayloads) {
  std::vector<std::string> expected;
  const std::string stream = MixedStream(&expected);
  FrameDecoder decoder;
  std::vector<std::string> got;
  for (char byte : stream) {
    decoder.Append(absl::string_view(&byte, 1));
    std::vector<std::string> frames = Drain(decoder);
    got.insert(got.end(), frames.begin(), frames.end());
  }
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(
      got ==
      expected);  // Not ElementsAreArray: a 70 KB mismatch would flood the log.
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameCodecTest, EveryTwoWaySplitYieldsTheSamePayloads) {
  std::vector<std::string> expected;
  // The 70 KB frame would make this quadratic; one of its own is covered by the
  // test above.
  std::vector<Envelope> envelopes = {
      PingEnvelope(1, 99), Envelope(), ErrorEnvelope(3, 300),
      PingEnvelope(4, 1u << 20), ErrorEnvelope(5, 2)};
  std::string stream;
  for (const Envelope& envelope : envelopes) {
    ASSERT_TRUE(AppendFrame(envelope, kDefaultMaxFrameSize, &stream).ok());
    expected.push_back(envelope.SerializeAsString());
  }
  for (size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder decoder;
    decoder.Append(absl::string_view(stream).substr(0, split));
    std::vector<std::string> got = Drain(decoder);
    decoder.Append(absl::string_view(stream).substr(split));
    std::vector<std::string> rest = Drain(decoder);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_THAT(got, ElementsAreArray(expected)) << "split at " << split;
    ASSERT_EQ(decoder.buffered(), 0u) << "split at " << split;
  }
}

TEST(FrameCodecTest, ManyFramesInOneAppend) {
  constexpr int kFrames = 1000;
  std::string stream;
  for (int i = 1; i <= kFrames; ++i) {
    ASSERT_TRUE(
        AppendFrame(ErrorEnvelope(i, i % 50), kDefaultMaxFrameSize, &stream)
            .ok());
  }
  FrameDecoder decoder;
  decoder.Append(stream);
  std::vector<std::string> got = Drain(decoder);
  ASSERT_EQ(got.size(), static_cast<size_t>(kFrames));
  for (int i = 1; i <= kFrames; ++i) {
    Envelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(got[i - 1])) << i;
    EXPECT_EQ(envelope.seq(), static_cast<uint64_t>(i));
    EXPECT_EQ(envelope.error().message().size(), static_cast<size_t>(i % 50));
  }
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameCodecTest, ZeroLengthFrame) {
  std::string stream = Frame(Envelope());
  EXPECT_EQ(stream, Header(0));
  FrameDecoder decoder;
  decoder.Append(stream);
  absl::StatusOr<std::optional<absl::string_view>> next = decoder.Next();
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(next->has_value());
  EXPECT_TRUE((*next)->empty());
  Envelope empty;
  EXPECT_TRUE(empty.ParseFromArray((*next)->data(), 0));
  EXPECT_EQ(empty.body_case(), Envelope::BODY_NOT_SET);
}

TEST(FrameCodecTest, FrameAtTheLimitIsAccepted) {
  constexpr uint32_t kLimit = 64;
  FrameDecoder decoder(kLimit);
  decoder.Append(Header(kLimit) + std::string(kLimit, 'x'));
  std::vector<std::string> got = Drain(decoder);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], std::string(kLimit, 'x'));
}

TEST(FrameCodecTest, OversizeHeaderRejectedBeforeItsDataArrives) {
  constexpr uint32_t kLimit = 64;
  FrameDecoder decoder(kLimit);
  decoder.Append(
      Header(kLimit + 1));  // Only the header: no payload byte has been sent.
  absl::StatusOr<std::optional<absl::string_view>> next = decoder.Next();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);

  // The decoder stays failed, even when well-formed frames follow.
  EXPECT_FALSE(decoder.Next().ok());
  decoder.Append(std::string(kLimit + 1, 'x'));
  decoder.Append(Header(1) + "y");
  EXPECT_FALSE(decoder.Next().ok());
  EXPECT_FALSE(decoder.Next().ok());
}

TEST(FrameCodecTest, HugeHeaderRejectedWithDefaultLimit) {
  FrameDecoder decoder;
  decoder.Append("\xff\xff\xff\xff");
  EXPECT_EQ(decoder.Next().status().code(), absl::StatusCode::kInvalidArgument);
  // Asking for read space afterwards must not try to allocate for the 4 GiB
  // frame.
  absl::Span<char> space = decoder.PrepareWrite(16);
  EXPECT_GE(space.size(), 16u);
  EXPECT_LT(space.size(), size_t{1} << 24);
}

TEST(FrameCodecTest, OversizeHeaderAfterGoodFramesFailsThere) {
  constexpr uint32_t kLimit = 16;
  FrameDecoder decoder(kLimit);
  decoder.Append(Header(3) + "abc" + Header(kLimit + 1));
  absl::StatusOr<std::optional<absl::string_view>> first = decoder.Next();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, "abc");
  EXPECT_EQ(decoder.Next().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FrameCodecTest, AppendFrameOverLimitFailsAndLeavesOutputUnchanged) {
  Envelope envelope = ErrorEnvelope(1, 100);
  const size_t size = envelope.ByteSizeLong();
  std::string out = "untouched";
  absl::Status status =
      AppendFrame(envelope, static_cast<uint32_t>(size - 1), &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "untouched");

  // Exactly at the limit is fine.
  ASSERT_TRUE(AppendFrame(envelope, static_cast<uint32_t>(size), &out).ok());
  EXPECT_EQ(out.size(),
            std::string("untouched").size() + kFrameHeaderSize + size);
}

TEST(FrameCodecTest, GarbagePayloadIsReturnedForTheChannelToReject) {
  const std::string garbage = "\xff\xff\xff\xff";
  FrameDecoder decoder;
  decoder.Append(Header(static_cast<uint32_t>(garbage.size())) + garbage);
  std::vector<std::string> got = Drain(decoder);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], garbage);
  Envelope envelope;
  EXPECT_FALSE(
      envelope.ParseFromArray(got[0].data(), static_cast<int>(got[0].size())));
}

TEST(FrameCodecTest, PrepareWriteGivesAtLeastWhatIsAsked) {
  FrameDecoder decoder;
  absl::Span<char> space = decoder.PrepareWrite(100);
  EXPECT_GE(space.size(), 100u);
  std::memcpy(space.data(), Header(2).data(), kFrameHeaderSize);
  decoder.CommitWrite(kFrameHeaderSize);
  EXPECT_EQ(decoder.buffered(), kFrameHeaderSize);
  space = decoder.PrepareWrite(1);
  ASSERT_GE(space.size(), 2u);
  space[0] = 'o';
  space[1] = 'k';
  decoder.CommitWrite(2);
  std::vector<std::string> got = Drain(decoder);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "ok");
}

TEST(FrameCodecTest, LargeFrameThroughPrepareAndCommit) {
  constexpr size_t kTextSize = 1u << 20;
  Envelope sent = ErrorEnvelope(1, kTextSize);
  const std::string stream = Frame(sent) + Frame(PingEnvelope(2, 3));
  const size_t first_frame_size = kFrameHeaderSize + sent.ByteSizeLong();

  // Simulate socket reads of at most 64 KiB into the space the decoder offers.
  constexpr size_t kMaxRead = 64 * 1024;
  FrameDecoder decoder;
  std::vector<std::string> got;
  size_t offset = 0;
  bool checked_room = false;
  while (offset < stream.size()) {
    absl::Span<char> space = decoder.PrepareWrite(kMaxRead);
    ASSERT_GE(space.size(), kMaxRead);
    if (offset >= kFrameHeaderSize && offset < first_frame_size &&
        !checked_room) {
      // The header of the large frame is in: the decoder offers room for the
      // whole frame.
      EXPECT_GE(space.size(), first_frame_size - offset);
      checked_room = true;
    }
    const size_t n = std::min({space.size(), kMaxRead, stream.size() - offset});
    std::memcpy(space.data(), stream.data() + offset, n);
    decoder.CommitWrite(n);
    offset += n;
    std::vector<std::string> frames = Drain(decoder);
    got.insert(got.end(), frames.begin(), frames.end());
  }
  EXPECT_TRUE(checked_room);
  ASSERT_EQ(got.size(), 2u);
  Envelope received;
  ASSERT_TRUE(received.ParseFromString(got[0]));
  EXPECT_EQ(received.error().message().size(), kTextSize);
  EXPECT_EQ(received.SerializeAsString(), sent.SerializeAsString());
  Envelope ping;
  ASSERT_TRUE(ping.ParseFromString(got[1]));
  EXPECT_EQ(ping.control().ping().nonce(), 3u);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameCodecTest, CommitWriteIsClampedToTheOfferedSpace) {
  FrameDecoder decoder;
  absl::Span<char> space = decoder.PrepareWrite(8);
  std::fill(space.begin(), space.end(), '\0');
  decoder.CommitWrite(space.size() + 1000);
  EXPECT_EQ(decoder.buffered(), space.size());
}

}  // namespace
}  // namespace bulkhead::ipc
