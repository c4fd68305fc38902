// Handles beside frames: large messages moved into shared memory on either
// side of the threshold, a 100 MiB round trip, an app's pipe passed and
// written through, and peers that lie about what they attached. On Windows
// both channels are in this process, and the transport duplicates within it.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/compiler.h"
#include "gtest/gtest.h"
#include "ipc/envelope_codec.h"
#include "ipc/handle_transport.h"
#include "ipc/shared_body_pool.h"
#include "ipc/shared_memory.h"
#include "tests/ipc/channel_test_fixture.h"
#include "tests/support/test_pipe.h"

namespace bulkhead::ipc::testing {
namespace {

using ::bulkhead::testing::DuplicateOfStderr;
using ::bulkhead::testing::MakeTestPipe;
using ::bulkhead::testing::ReadSome;
using ::bulkhead::testing::TestPipe;
using ::bulkhead::testing::WriteAll;

// A checksum that depends on every byte's position.
uint64_t Checksum(absl::string_view bytes) {
  uint64_t sum = 1469598103934665603ull;
  for (unsigned char c : bytes) sum = (sum ^ c) * 1099511628211ull;
  return sum;
}

std::string Pattern(size_t size) {
  std::string bytes(size, '\0');
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < size; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    bytes[i] = static_cast<char>(state >> 56);
  }
  return bytes;
}

class ChannelAttachmentsTest : public ChannelTest {
 protected:
  // `a_` and `b_`, connected and started, each with its handle transport.
  void CreateConnectedPair(Channel::Options options = {}) {
    CreatePair(options, options);
    absl::StatusOr<HandlePair> transport = HandleTransport::CreatePair();
    ASSERT_TRUE(transport.ok()) << transport.status();
    a_->SetHandleTransport(std::move(transport->first));
    b_->SetHandleTransport(std::move(transport->second));
    StartPair();
  }

  // Sends a CompressBlobRequest of `size` bytes from `a_`; returns what `b_`
  // received and how many bytes went through the socket for it.
  std::string SendBlob(size_t size, uint64_t* socket_bytes) {
    std::string received;
    bool arrived = false;
    b_->On<CompressBlobRequest>([&](const CompressBlobRequest& request) {
      received = request.data();
      arrived = true;
    });
    CompressBlobRequest request;
    request.set_data(Pattern(size));
    const uint64_t before = a_->bytes_sent();
    EXPECT_TRUE(a_->Send(request).ok());
    EXPECT_TRUE(RunUntil([&] { return arrived; }, absl::Seconds(30)));
    *socket_bytes = a_->bytes_sent() - before;
    return received;
  }
};

TEST_F(ChannelAttachmentsTest, AtTheThresholdTheBytesGoThroughTheSocket) {
  Channel::Options options;
  options.shared_memory_threshold = 64 * 1024;
  CreateConnectedPair(options);
  // The message's own bytes: the blob plus its tag and length.
  const size_t blob = options.shared_memory_threshold - 4;
  CompressBlobRequest probe;
  probe.set_data(std::string(blob, 'x'));
  ASSERT_EQ(probe.ByteSizeLong(), options.shared_memory_threshold);
  uint64_t socket_bytes = 0;
  const std::string got = SendBlob(blob, &socket_bytes);
  EXPECT_EQ(Checksum(got), Checksum(Pattern(blob)));
  EXPECT_GT(socket_bytes, options.shared_memory_threshold);
}

TEST_F(ChannelAttachmentsTest, OneByteOverTheThresholdGoesThroughSharedMemory) {
  Channel::Options options;
  options.shared_memory_threshold = 64 * 1024;
  CreateConnectedPair(options);
  const size_t blob = options.shared_memory_threshold - 3;
  uint64_t socket_bytes = 0;
  const std::string got = SendBlob(blob, &socket_bytes);
  ASSERT_EQ(got.size(), blob);
  EXPECT_EQ(Checksum(got), Checksum(Pattern(blob)));
  // Just the envelope: type URL, size, handle count.
  EXPECT_LT(socket_bytes, 200u);
}

TEST_F(ChannelAttachmentsTest, ATrustingReceiverKeepsEveryByteOfReusedRegions) {
  // As a helper reads its host's large messages (in place: see
  // SharedBodyMappingsTest); many in a row, so that regions are reused.
  Channel::Options options;
  options.trust_peer_shared_memory = true;
  CreateConnectedPair(options);
  for (int i = 0; i < 20; ++i) {
    const size_t blob = (1u << 20) + static_cast<size_t>(i) * 4096;
    uint64_t socket_bytes = 0;
    const std::string got = SendBlob(blob, &socket_bytes);
    ASSERT_EQ(got.size(), blob);
    EXPECT_EQ(Checksum(got), Checksum(Pattern(blob)));
    EXPECT_LT(socket_bytes, 200u);
  }
}

TEST_F(ChannelAttachmentsTest, A100MiBCallAndItsReplyKeepEveryByte) {
  if (BH_THREAD_SANITIZER) {
    // One thread copying 100 MiB each way: 39 s under ThreadSanitizer, with
    // no second thread to watch (debug and asan run it).
    GTEST_SKIP() << "one thread's 100 MiB of copies; not ThreadSanitizer's";
  }
  CreateConnectedPair();
  constexpr size_t kSize = 100u << 20;
  // The server answers with the blob reversed: a reply as large as the call.
  b_->Serve<CompressBlobRequest, CompressBlobResponse>(
      [](const CompressBlobRequest& request)
          -> absl::StatusOr<CompressBlobResponse> {
        CompressBlobResponse response;
        response.set_compressed(
            std::string(request.data().rbegin(), request.data().rend()));
        return response;
      });
  CompressBlobRequest request;
  request.set_data(Pattern(kSize));
  std::string expected(request.data().rbegin(), request.data().rend());
  std::optional<absl::StatusOr<CompressBlobResponse>> reply;
  a_->Call<CompressBlobRequest, CompressBlobResponse>(
      request, absl::Now() + absl::Seconds(60),
      [&](absl::StatusOr<CompressBlobResponse> r) { reply = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }, absl::Seconds(60)));
  ASSERT_TRUE(reply->ok()) << reply->status();
  ASSERT_EQ((*reply)->compressed().size(), kSize);
  EXPECT_EQ(Checksum((*reply)->compressed()), Checksum(expected));
  // Both ways, the socket carried envelopes only.
  EXPECT_LT(a_->bytes_sent() + b_->bytes_sent(), 4096u);
}

TEST_F(ChannelAttachmentsTest, SharedMemoryInFlightIsBoundedUntilThePeerReads) {
  Channel::Options options;
  options.max_shared_bytes_in_flight = 4u << 20;
  CreateConnectedPair(options);
  int received = 0;
  b_->On<CompressBlobRequest>([&](const CompressBlobRequest&) { ++received; });
  CompressBlobRequest big;
  big.set_data(Pattern(1u << 20));
  // Without running the loop the peer reads nothing: four go, the fifth is
  // refused, and the memory in flight stays at the limit.
  int sent = 0;
  absl::Status status;
  while ((status = a_->Send(big)).ok() && sent < 100) ++sent;
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_EQ(sent, 4);
  EXPECT_GE(a_->shared_bytes_in_flight(), options.max_shared_bytes_in_flight);
  bool drained = false;
  a_->OnDrained([&] { drained = true; });
  ASSERT_TRUE(RunUntil([&] { return drained; }));
  EXPECT_LE(a_->shared_bytes_in_flight(),
            options.max_shared_bytes_in_flight / 2);
  EXPECT_TRUE(a_->Send(big).ok());
  ASSERT_TRUE(RunUntil([&] { return received == 5; }));
  ASSERT_TRUE(RunUntil([&] { return a_->shared_bytes_in_flight() == 0; }));
}

TEST_F(ChannelAttachmentsTest,
       ACallMadeFromALargeCallsCompletionIsNotRefusedForItsRegion) {
  // The large request alone is over the in-flight limit: until the peer says
  // it took the request's region, every app Send and Call is refused. The
  // peer has read the request by the time it answers, and must have said so.
  Channel::Options options;
  options.max_shared_bytes_in_flight = 1u << 20;
  CreateConnectedPair(options);
  b_->Serve<CompressBlobRequest, CompressBlobResponse>(
      [](const CompressBlobRequest& request)
          -> absl::StatusOr<CompressBlobResponse> {
        CompressBlobResponse response;
        response.set_original_size(request.data().size());
        return response;
      });
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(OneWordPerLine);
  CompressBlobRequest big;
  big.set_data(Pattern(2u << 20));
  std::optional<absl::StatusOr<CompressBlobResponse>> big_reply;
  CallLog small;
  a_->Call<CompressBlobRequest, CompressBlobResponse>(
      big, absl::Now() + kGuard,
      [&](absl::StatusOr<CompressBlobResponse> reply) {
        big_reply = std::move(reply);
        a_->Call<LayoutTextRequest, LayoutTextResponse>(
            Request("right after", 5), absl::Now() + kGuard,
            RecordCall(&small));
      });
  ASSERT_TRUE(RunUntil([&] { return small.count == 1; }));
  ASSERT_TRUE(big_reply->ok()) << big_reply->status();
  EXPECT_EQ((*big_reply)->original_size(), 2u << 20);
  ASSERT_TRUE(small.result->ok()) << small.result->status();
  EXPECT_EQ(a_->shared_bytes_in_flight(), 0u);
}

TEST_F(ChannelAttachmentsTest,
       EveryRegionBusyRefusesLargeSendsUntilOneReturns) {
  CreateConnectedPair();
  int received = 0;
  b_->On<CompressBlobRequest>([&](const CompressBlobRequest&) { ++received; });
  CompressBlobRequest large;
  large.set_data(Pattern(70 * 1024));
  // The peer reads nothing until the loop runs: each send holds a region.
  for (uint32_t i = 0; i < kMaxSharedRegions; ++i) {
    ASSERT_TRUE(a_->Send(large).ok()) << i;
  }
  const absl::Status refused = a_->Send(large);
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "regions")) << refused;
  // Small messages need no region.
  EXPECT_TRUE(a_->Send(Request("small", 1)).ok());
  bool drained = false;
  a_->OnDrained([&] { drained = true; });
  ASSERT_TRUE(RunUntil([&] { return drained; }));
  EXPECT_TRUE(a_->Send(large).ok());
  ASSERT_TRUE(RunUntil([&] { return received == 17; }));
}

TEST_F(ChannelAttachmentsTest, APipePassedIsWrittenThroughByTheReceiver) {
  CreateConnectedPair();
  absl::StatusOr<TestPipe> pipe = MakeTestPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  b_->On<LayoutTextRequest>([&](const LayoutTextRequest& request) {
    std::vector<ScopedHandle> handles = b_->TakeReceivedHandles();
    ASSERT_EQ(handles.size(), 1u);
    EXPECT_TRUE(WriteAll(handles[0].get(), request.text()).ok());
  });
  std::vector<ScopedHandle> handles;
  handles.push_back(std::move(pipe->write));
  ASSERT_TRUE(
      a_->SendWithHandles(Request("hello, pipe", 1), std::move(handles)).ok());
  ASSERT_TRUE(RunUntil([&] { return b_->frames_received() == 1; }));
  // Every write end is closed by now (ours when sent, theirs when the handler
  // returned): the text, then end-of-file.
  absl::StatusOr<std::string> text = ReadSome(pipe->read.get(), 64);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "hello, pipe");
  absl::StatusOr<std::string> end = ReadSome(pipe->read.get(), 1);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, "");
  EXPECT_EQ(b_closed_.count, 0);
}

TEST_F(ChannelAttachmentsTest, HandlesOutsideAHandlerAreNone) {
  CreateConnectedPair();
  EXPECT_TRUE(a_->TakeReceivedHandles().empty());
  EXPECT_TRUE(absl::IsInvalidArgument(
      a_->SendWithHandles(Request("x", 1), std::vector<ScopedHandle>())));
}

TEST_F(ChannelAttachmentsTest, WithoutATransportHandlesAreUnimplemented) {
  CreatePair();
  StartPair();
  std::vector<ScopedHandle> handles;
  handles.push_back(DuplicateOfStderr());
  EXPECT_TRUE(absl::IsUnimplemented(
      a_->SendWithHandles(Request("x", 1), std::move(handles))));
  // And large messages simply go through the socket.
  std::string received;
  b_->On<CompressBlobRequest>(
      [&](const CompressBlobRequest& r) { received = r.data(); });
  CompressBlobRequest big;
  big.set_data(Pattern(1 << 20));
  ASSERT_TRUE(a_->Send(big).ok());
  ASSERT_TRUE(RunUntil([&] { return !received.empty(); }));
  EXPECT_EQ(Checksum(received), Checksum(big.data()));
}

// A raw peer's frame that puts a body of `body` bytes in its region 1,
// announced as `claimed` bytes large, with a region of `actual` bytes (none
// for 0) sent beside it.
class LyingPeerTest : public ChannelTest {
 protected:
  void SendLie(uint64_t body, uint64_t claimed, size_t actual,
               uint32_t announced_handles, uint32_t region_id = 1,
               size_t bogus_values = 0) {
    CreateWithRawPeer();
    absl::StatusOr<HandlePair> transport = HandleTransport::CreatePair();
    ASSERT_TRUE(transport.ok());
    a_->SetHandleTransport(std::move(transport->first));
    HandleTransport peer(std::move(transport->second));
    ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
    a_->On<CompressBlobRequest>(
        [this](const CompressBlobRequest&) { ++handled_; });

    std::vector<ScopedHandle> batch;
    std::vector<uint64_t> values;
    if (actual > 0) {
      absl::StatusOr<WritableSharedMemoryRegion> region =
          WritableSharedMemoryRegion::Create(actual);
      ASSERT_TRUE(region.ok());
      absl::StatusOr<ScopedHandle> shared = region->ShareWritable();
      ASSERT_TRUE(shared.ok());
      batch.push_back(*std::move(shared));
      absl::StatusOr<std::vector<uint64_t>> prepared = peer.Prepare(batch);
      ASSERT_TRUE(prepared.ok()) << prepared.status();
      values = *std::move(prepared);
      ASSERT_TRUE(peer.Send(batch).ok());
    }
    CompressBlobRequest type_only;
    OutgoingEnvelope envelope;
    envelope.seq = 1;
    envelope.message = &type_only;
    envelope.shared_body_size = body;
    envelope.shared_region_id = region_id;
    envelope.shared_region_size = claimed;
    envelope.attached_handles = announced_handles;
    for (size_t i = 0; i < bogus_values; ++i) values.push_back(0x7ffffff0);
    envelope.handle_values = values;
    std::string frame;
    ASSERT_TRUE(
        AppendEnvelopeFrame(envelope, kDefaultMaxFrameSize, &frame).ok());
    ASSERT_TRUE(raw_.Write(frame).ok());
    ASSERT_TRUE(RunUntil([&] { return a_closed_.count > 0; }));
    EXPECT_EQ(a_closed_.reason, CloseReason::kProtocolViolation)
        << ReasonName(a_closed_.reason);
    EXPECT_EQ(handled_, 0);
  }
  bool DetailSays(absl::string_view text) {
    return absl::StrContains(a_closed_.detail.message(), text);
  }
  int handled_ = 0;
};

TEST_F(LyingPeerTest, ARegionSmallerThanClaimedIsAViolationNotACrash) {
  SendLie(/*body=*/4096, /*claimed=*/1 << 20, /*actual=*/4096,
          /*announced_handles=*/1);
  EXPECT_TRUE(absl::IsDataLoss(a_closed_.detail)) << a_closed_.detail;
  EXPECT_TRUE(DetailSays("shared body")) << a_closed_.detail;
}

TEST_F(LyingPeerTest, ARegionLargerThanClaimedIsAViolation) {
#if defined(_WIN32)
  GTEST_SKIP() << "Windows cannot learn a section's exact size: it checks "
                  "that the section holds the claimed bytes, and maps those";
#endif
  SendLie(/*body=*/4096, /*claimed=*/4096, /*actual=*/1 << 20,
          /*announced_handles=*/1);
  EXPECT_TRUE(absl::IsDataLoss(a_closed_.detail)) << a_closed_.detail;
}

TEST_F(LyingPeerTest, ABodyLargerThanItsRegionIsAViolation) {
  SendLie(/*body=*/1 << 20, /*claimed=*/4096, /*actual=*/4096,
          /*announced_handles=*/1);
  EXPECT_TRUE(absl::IsDataLoss(a_closed_.detail)) << a_closed_.detail;
  EXPECT_TRUE(DetailSays("in a region of 4096")) << a_closed_.detail;
}

TEST_F(LyingPeerTest, AnnouncedHandlesThatNeverCameAreAViolation) {
  SendLie(/*body=*/4096, /*claimed=*/4096, /*actual=*/0,
          /*announced_handles=*/1);
  EXPECT_TRUE(DetailSays("none came")) << a_closed_.detail;
}

TEST_F(LyingPeerTest, MoreHandleValuesThanAFrameMayCarryAreRefusedUnread) {
  // Refused before any is looked at: a Windows host would otherwise make a
  // cross-process call for each of a million values.
  SendLie(/*body=*/4096, /*claimed=*/4096, /*actual=*/0,
          /*announced_handles=*/1, /*region_id=*/1, /*bogus_values=*/100);
  EXPECT_TRUE(absl::IsInvalidArgument(a_closed_.detail)) << a_closed_.detail;
  EXPECT_TRUE(DetailSays("limit")) << a_closed_.detail;
}

TEST_F(LyingPeerTest, ARegionNeverSentIsAViolation) {
  SendLie(/*body=*/4096, /*claimed=*/0, /*actual=*/0,
          /*announced_handles=*/0);
  EXPECT_TRUE(absl::IsInvalidArgument(a_closed_.detail)) << a_closed_.detail;
  EXPECT_TRUE(DetailSays("never sent")) << a_closed_.detail;
}

TEST_F(LyingPeerTest, ARegionIdOutOfRangeIsAViolation) {
  SendLie(/*body=*/4096, /*claimed=*/4096, /*actual=*/4096,
          /*announced_handles=*/1, /*region_id=*/kMaxSharedRegions + 1);
  EXPECT_TRUE(DetailSays("out of range")) << a_closed_.detail;
}

TEST_F(LyingPeerTest, AnOversizeSharedBodyIsRefusedBeforeMapping) {
  SendLie(/*body=*/uint64_t{1} << 40, /*claimed=*/4096, /*actual=*/4096,
          /*announced_handles=*/1);
  EXPECT_TRUE(DetailSays("exceeds the limit")) << a_closed_.detail;
}

}  // namespace
}  // namespace bulkhead::ipc::testing
