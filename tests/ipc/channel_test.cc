#include "ipc/channel.h"

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/loop_thread_checker.h"
#include "common/platform_handle.h"
#include "gtest/gtest.h"
#include "ipc/proto/envelope.pb.h"
#include "tests/ipc/channel_test_fixture.h"
#include "tests/ipc/sample_messages.pb.h"

namespace bulkhead::ipc::testing {
namespace {

// ---- Messages and calls between two channels ----

TEST_F(ChannelTest, SendDeliversToTheHandler) {
  CreatePair();
  std::vector<LayoutTextRequest> received;
  b_->On<LayoutTextRequest>(
      [&](const LayoutTextRequest& m) { received.push_back(m); });
  StartPair();

  ASSERT_TRUE(a_->Send(Request("hello world", 42)).ok());
  ASSERT_TRUE(RunUntil([&] { return !received.empty(); }))
      << "message never arrived";
  EXPECT_EQ(received[0].text(), "hello world");
  EXPECT_EQ(received[0].width(), 42u);
  EXPECT_EQ(a_->frames_sent(), 1u);
  EXPECT_EQ(b_->frames_received(), 1u);
  // Both ends count the same bytes: one header plus the envelope.
  EXPECT_GT(a_->bytes_sent(), kFrameHeaderSize + 11);
  EXPECT_EQ(a_->bytes_sent(), b_->bytes_received());
  EXPECT_TRUE(a_->is_open());
  EXPECT_TRUE(b_->is_open());
}

TEST_F(ChannelTest, LaterHandlerReplacesEarlierOne) {
  CreatePair();
  int first = 0;
  int second = 0;
  b_->On<LayoutTextRequest>([&](const LayoutTextRequest&) { ++first; });
  b_->On<LayoutTextRequest>([&](const LayoutTextRequest&) { ++second; });
  StartPair();
  ASSERT_TRUE(a_->Send(Request("x", 1)).ok());
  ASSERT_TRUE(RunUntil([&] { return first + second > 0; }));
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

TEST_F(ChannelTest, MessagesSentBeforeStartAreDelivered) {
  CreatePair();
  std::vector<uint32_t> widths;
  b_->On<LayoutTextRequest>(
      [&](const LayoutTextRequest& m) { widths.push_back(m.width()); });
  ASSERT_TRUE(a_->Send(Request("early", 1)).ok());
  ASSERT_TRUE(a_->Send(Request("early", 2)).ok());
  StartPair();
  ASSERT_TRUE(a_->Send(Request("late", 3)).ok());
  ASSERT_TRUE(RunUntil([&] { return widths.size() == 3; }));
  EXPECT_EQ(widths, (std::vector<uint32_t>{1, 2, 3}));
}

TEST_F(ChannelTest, UnhandledMessageTypeIsDroppedNotFatal) {
  CreatePair();
  std::vector<std::string> texts;
  b_->On<LayoutTextRequest>(
      [&](const LayoutTextRequest& m) { texts.push_back(m.text()); });
  StartPair();
  LayoutTextResponse nobody_handles_this;
  nobody_handles_this.add_lines("dropped");
  ASSERT_TRUE(a_->Send(nobody_handles_this).ok());
  ASSERT_TRUE(a_->Send(Request("after", 1)).ok());
  ASSERT_TRUE(RunUntil([&] { return !texts.empty(); }));
  EXPECT_EQ(texts, std::vector<std::string>{"after"});
  EXPECT_TRUE(b_->is_open());
  EXPECT_EQ(b_closed_.count, 0);
  EXPECT_EQ(b_->frames_received(), 2u);
}

TEST_F(ChannelTest, CallAndServeRoundTrip) {
  CreatePair();
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(OneWordPerLine);
  StartPair();

  CallLog& log = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("the quick  brown fox", 80), absl::Now() + kGuard,
      RecordCall(&log));
  EXPECT_EQ(a_->pending_calls(), 1u);
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }));
  EXPECT_EQ(log.count, 1);
  ASSERT_TRUE(log.result->ok()) << log.result->status();
  const LayoutTextResponse& response = **log.result;
  ASSERT_EQ(response.lines_size(), 4);
  EXPECT_EQ(response.lines(0), "the");
  EXPECT_EQ(response.lines(3), "fox");
  EXPECT_EQ(response.word_count(), 4u);
  EXPECT_EQ(response.longest_line(), 5u);
  EXPECT_EQ(a_->pending_calls(), 0u);
}

TEST_F(ChannelTest, ManyConcurrentCallsGetTheirOwnReplies) {
  CreatePair();
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(OneWordPerLine);
  StartPair();
  constexpr int kCalls = 200;
  std::vector<int> completions(kCalls, 0);
  int done = 0;
  for (int i = 0; i < kCalls; ++i) {
    // Call i has i + 1 words.
    std::string text;
    for (int w = 0; w <= i; ++w) absl::StrAppend(&text, "w", i, " ");
    a_->Call<LayoutTextRequest, LayoutTextResponse>(
        Request(text, 1), absl::Now() + kGuard,
        [&, i](absl::StatusOr<LayoutTextResponse> r) {
          ++completions[i];
          ++done;
          ASSERT_TRUE(r.ok()) << r.status();
          EXPECT_EQ(r->word_count(), static_cast<uint32_t>(i + 1))
              << "call " << i;
          EXPECT_EQ(r->lines(0), absl::StrCat("w", i)) << "call " << i;
        });
  }
  EXPECT_EQ(a_->pending_calls(), static_cast<size_t>(kCalls));
  ASSERT_TRUE(RunUntil([&] { return done == kCalls; }));
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(completions[i], 1) << i;
  EXPECT_EQ(a_->pending_calls(), 0u);
}

TEST_F(ChannelTest, ServeErrorReachesTheCaller) {
  CreatePair();
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(OneWordPerLine);
  StartPair();
  CallLog& log = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("words", 0), absl::Now() + kGuard, RecordCall(&log));
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }));
  ASSERT_FALSE(log.result->ok());
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log.result->status().message(), "width must be positive");
  // An application error is not a protocol problem.
  EXPECT_TRUE(a_->is_open());
  EXPECT_TRUE(b_->is_open());
}

TEST_F(ChannelTest, CallWithoutServerIsUnimplemented) {
  CreatePair();
  StartPair();
  CallLog& log = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("x", 1), absl::Now() + kGuard, RecordCall(&log));
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }));
  ASSERT_FALSE(log.result->ok());
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(log.result->status().message(),
                                "bulkhead.ipc.testing.LayoutTextRequest"))
      << log.result->status();
  EXPECT_TRUE(a_->is_open());
  EXPECT_TRUE(b_->is_open());
}

TEST_F(ChannelTest, ReplyOverThePeersFrameLimitBecomesAnError) {
  Channel::Options small;
  small.max_frame_size = 512;
  CreatePair({}, small);
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(OneWordPerLine);
  StartPair();
  // 200 one-letter words: 2 bytes each in the request, 3 each in the response,
  // so the request fits in 512 bytes and the response does not.
  std::string text;
  for (int i = 0; i < 200; ++i) text += "w ";
  LayoutTextRequest request = Request(text, 1);
  Envelope request_envelope;
  request_envelope.set_seq(1);
  request_envelope.set_call_id(1);
  request_envelope.mutable_message()->PackFrom(request);
  ASSERT_LE(request_envelope.ByteSizeLong(), small.max_frame_size);
  absl::StatusOr<LayoutTextResponse> response = OneWordPerLine(request);
  ASSERT_TRUE(response.ok());
  ASSERT_GT(response->ByteSizeLong(), small.max_frame_size);
  CallLog& log = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(request, absl::Now() + kGuard,
                                                  RecordCall(&log));
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }));
  ASSERT_FALSE(log.result->ok());
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kInvalidArgument)
      << log.result->status();
  EXPECT_TRUE(b_->is_open());
}

TEST_F(ChannelTest, SendOverTheLimitIsInvalidArgument) {
  Channel::Options small;
  small.max_frame_size = 128;
  CreatePair(small, {});
  std::vector<uint32_t> widths;
  b_->On<LayoutTextRequest>(
      [&](const LayoutTextRequest& m) { widths.push_back(m.width()); });
  StartPair();
  EXPECT_EQ(a_->Send(Request(std::string(200, 'x'), 1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(a_->is_open());
  EXPECT_EQ(a_->frames_sent(), 0u);
  ASSERT_TRUE(a_->Send(Request("small", 2)).ok());
  ASSERT_TRUE(RunUntil([&] { return !widths.empty(); }));
  EXPECT_EQ(widths, std::vector<uint32_t>{2});

  // A call whose request is too large fails on the next turn (never inside
  // the call), without a round trip.
  CallLog& log = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request(std::string(200, 'x'), 1), absl::Now() + kGuard,
      RecordCall(&log));
  EXPECT_EQ(log.count, 0);
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }, absl::Seconds(5)));
  EXPECT_EQ(log.count, 1);
  ASSERT_TRUE(log.result.has_value());
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a_->pending_calls(), 0u);
}

TEST_F(ChannelTest, PingIsAnsweredAutomatically) {
  CreatePair();
  StartPair();
  Control ping;
  ping.mutable_ping()->set_nonce(0x5eed1234abcdu);
  int count = 0;
  absl::StatusOr<Control> answer = absl::UnknownError("not answered");
  a_->CallControl(ping, absl::Now() + kGuard,
                  [&](absl::StatusOr<Control> reply) {
                    ++count;
                    answer = std::move(reply);
                  });
  ASSERT_TRUE(RunUntil([&] { return count > 0; }));
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_TRUE(answer->has_pong());
  EXPECT_EQ(answer->pong().nonce(), 0x5eed1234abcdu);
}

TEST_F(ChannelTest, PingIsAnsweredOnTheWire) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  Envelope ping;
  ping.set_seq(1);
  ping.set_call_id(77);
  ping.mutable_control()->mutable_ping()->set_nonce(31337);
  ASSERT_EQ(raw_.Write(Frame(ping)), absl::OkStatus());
  ASSERT_EQ(ReadFromRaw(1).size(), 1u);
  const Envelope* pong = &raw_.frames()[0];
  EXPECT_TRUE(pong->is_reply());
  EXPECT_EQ(pong->call_id(), 77u);
  EXPECT_EQ(pong->seq(), 1u);  // The channel's first frame.
  ASSERT_TRUE(pong->has_control());
  ASSERT_TRUE(pong->control().has_pong());
  EXPECT_EQ(pong->control().pong().nonce(), 31337u);
  EXPECT_TRUE(a_->is_open());
}

TEST_F(ChannelTest, ServedControlAndOneWayControl) {
  CreatePair();
  std::vector<std::string> shutdown_reasons;
  b_->OnControl(Control::kShutdown, [&](const Control& c) {
    shutdown_reasons.push_back(c.shutdown().reason());
  });
  b_->ServeControl(
      Control::kHello, [](const Control& c) -> absl::StatusOr<Control> {
        if (c.hello().role() != "renderer")
          return absl::PermissionDeniedError("unknown role");
        Control welcome;
        welcome.mutable_welcome()->set_helper_id(c.hello().helper_id());
        return welcome;
      });
  StartPair();

  std::vector<absl::StatusOr<Control>> answers;
  Control hello;
  hello.mutable_hello()->set_role("renderer");
  hello.mutable_hello()->set_helper_id(12);
  a_->CallControl(hello, absl::Now() + kGuard, [&](absl::StatusOr<Control> r) {
    answers.push_back(std::move(r));
  });
  hello.mutable_hello()->set_role("gpu");
  a_->CallControl(hello, absl::Now() + kGuard, [&](absl::StatusOr<Control> r) {
    answers.push_back(std::move(r));
  });
  Control shutdown;
  shutdown.mutable_shutdown()->set_reason("bye");
  ASSERT_TRUE(a_->SendControl(shutdown).ok());

  ASSERT_TRUE(RunUntil(
      [&] { return answers.size() == 2 && !shutdown_reasons.empty(); }));
  ASSERT_TRUE(answers[0].ok()) << answers[0].status();
  EXPECT_EQ(answers[0]->welcome().helper_id(), 12u);
  EXPECT_EQ(answers[1].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(shutdown_reasons, std::vector<std::string>{"bye"});
}

// ---- Error mapping ----

TEST(ErrorToStatusTest, UnknownCodesBecomeUnknown) {
  for (int code : {0, 999, -1, 17}) {
    Error error;
    error.set_code(code);
    error.set_message("peer said so");
    absl::Status status = ErrorToStatus(error);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnknown) << code;
    EXPECT_FALSE(status.ok()) << code;
    EXPECT_EQ(status.message(), "peer said so") << code;
  }
}

TEST(ErrorToStatusTest, RoundTripsEveryNonOkCode) {
  for (int code = 1; code <= 16; ++code) {
    const absl::Status original(static_cast<absl::StatusCode>(code),
                                absl::StrCat("code ", code));
    Error error;
    StatusToError(original, &error);
    EXPECT_EQ(error.code(), code);
    EXPECT_EQ(ErrorToStatus(error), original);
  }
}

// The loop's thread is the channel's (debug builds check it): a member called
// on another thread aborts with both threads named.
TEST(ChannelThreadDeathTest, AMemberCalledOnAnotherThreadAborts) {
#if !BULKHEAD_DCHECK_IS_ON
  GTEST_SKIP() << "the thread check is compiled out (NDEBUG)";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // It starts a thread.
  EXPECT_DEATH(
      {
        uv_loop_t loop;
        uv_loop_init(&loop);
        std::unique_ptr<Channel> channel = Channel::Create(&loop);
        std::thread([&] { channel->Close(); }).join();
      },
      "ipc::Channel::Close called on thread .*, but the ipc::Channel belongs "
      "to its loop's thread ");
#endif
}

// The app's handler refusing an input and the channel refusing a message are
// both INVALID_ARGUMENT; only the first is the handler's error.
TEST_F(ChannelTest, AHandlersErrorIsToldFromTheChannelsOwn) {
  Channel::Options small;
  small.max_frame_size = 512;
  CreatePair(small, small);
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(&OneWordPerLine);
  StartPair();
  CallLog& refused = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("width zero", 0), absl::Now() + absl::Seconds(10),
      RecordCall(&refused));
  CallLog& oversize = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request(std::string(4096, 'x'), 1), absl::Now() + absl::Seconds(10),
      RecordCall(&oversize));
  CallLog& unserved = NewLog();
  a_->Call<CompressBlobRequest, LayoutTextResponse>(
      CompressBlobRequest(), absl::Now() + absl::Seconds(10),
      RecordCall(&unserved));
  ASSERT_TRUE(RunUntil([&] {
    return refused.count > 0 && oversize.count > 0 && unserved.count > 0;
  }));
  const absl::Status from_handler = refused.result->status();
  EXPECT_EQ(from_handler.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsHandlerError(from_handler)) << from_handler;
  const absl::Status from_channel = oversize.result->status();
  EXPECT_EQ(from_channel.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsHandlerError(from_channel)) << from_channel;
  const absl::Status no_handler = unserved.result->status();
  EXPECT_EQ(no_handler.code(), absl::StatusCode::kUnimplemented);
  EXPECT_FALSE(IsHandlerError(no_handler)) << no_handler;
}

}  // namespace
}  // namespace bulkhead::ipc::testing
