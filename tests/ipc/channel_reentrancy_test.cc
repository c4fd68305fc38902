// Channel handlers and completions that destroy their own channel; ASan checks
// the aftermath.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ipc/channel.h"
#include "ipc/proto/envelope.pb.h"
#include "tests/ipc/channel_test_fixture.h"
#include "tests/ipc/sample_messages.pb.h"

namespace bulkhead::ipc::testing {
namespace {

TEST_F(ChannelTest, MessageHandlerMayDestroyItsChannel) {
  CreatePair();
  int handled = 0;
  std::string text_after_reset;
  b_->On<LayoutTextRequest>(
      [this, &handled, &text_after_reset](const LayoutTextRequest& m) {
        ++handled;
        // This lambda's captures go with the channel: keep what is needed.
        std::string* out = &text_after_reset;
        b_.reset();
        // The message outlives the channel (and this handler) until the call
        // returns (ASan would see a use after free).
        *out = m.text();
      });
  // Sent before Start, both frames leave in one write, so they arrive in one
  // read.
  ASSERT_TRUE(a_->Send(Request("first", 1)).ok());
  ASSERT_TRUE(a_->Send(Request("second", 2)).ok());
  StartPair();
  ASSERT_TRUE(RunUntil([&] { return a_closed_.count > 0; }));
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(text_after_reset, "first");
  EXPECT_EQ(b_, nullptr);
  EXPECT_EQ(a_closed_.reason, CloseReason::kPeerClosed);
}

TEST_F(ChannelTest, ServeHandlerMayDestroyItsChannel) {
  CreatePair();
  int handled = 0;
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(
      [this, &handled](
          const LayoutTextRequest& r) -> absl::StatusOr<LayoutTextResponse> {
        ++handled;
        b_.reset();
        return OneWordPerLine(r);
      });
  StartPair();
  CallLog& log = NewLog();
  CallFromA(&log);
  ASSERT_TRUE(RunUntil([&] { return log.count > 0 && a_closed_.count > 0; }));
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a_closed_.reason, CloseReason::kPeerClosed);
}

TEST_F(ChannelTest, ControlServerMayDestroyItsChannel) {
  CreatePair();
  int handled = 0;
  b_->ServeControl(Control::kHello,
                   [this, &handled](const Control&) -> absl::StatusOr<Control> {
                     ++handled;
                     b_.reset();
                     Control welcome;
                     welcome.mutable_welcome();
                     return welcome;
                   });
  StartPair();
  Control hello;
  hello.mutable_hello()->set_role("renderer");
  int count = 0;
  absl::Status result;
  a_->CallControl(hello, absl::Now() + kGuard, [&](absl::StatusOr<Control> r) {
    ++count;
    result = r.status();
  });
  ASSERT_TRUE(RunUntil([&] { return count > 0 && a_closed_.count > 0; }));
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(result.code(), absl::StatusCode::kUnavailable);
}

TEST_F(ChannelTest, ControlHandlerMayDestroyItsChannel) {
  CreatePair();
  int handled = 0;
  b_->OnControl(Control::kShutdown, [this, &handled](const Control&) {
    ++handled;
    b_.reset();
  });
  StartPair();
  Control shutdown;
  shutdown.mutable_shutdown()->set_reason("test");
  ASSERT_TRUE(a_->SendControl(shutdown).ok());
  ASSERT_TRUE(a_->SendControl(shutdown).ok());
  ASSERT_TRUE(RunUntil([&] { return a_closed_.count > 0; }));
  EXPECT_EQ(handled, 1);
}

TEST_F(ChannelTest, ReplyCompletionMayDestroyItsChannel) {
  CreatePair();
  b_->Serve<LayoutTextRequest, LayoutTextResponse>(OneWordPerLine);
  StartPair();
  int count = 0;
  absl::Status result = absl::UnknownError("not run");
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("one two", 5), absl::Now() + kGuard,
      [this, &count, &result](absl::StatusOr<LayoutTextResponse> r) {
        ++count;
        result = r.status();
        a_.reset();
      });
  ASSERT_TRUE(RunUntil([&] { return count > 0 && b_closed_.count > 0; }));
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(b_closed_.reason, CloseReason::kPeerClosed);
}

TEST_F(ChannelTest, DeadlineCompletionMayDestroyItsChannel) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  int count = 0;
  absl::Status result;
  auto destroy = [this, &count, &result](absl::StatusOr<LayoutTextResponse> r) {
    ++count;
    result = r.status();
    a_.reset();
  };
  // Two calls due at the same time: the second completes (CANCELLED or
  // DEADLINE_EXCEEDED) after the first destroyed the channel.
  const absl::Time deadline = absl::Now() + absl::Milliseconds(5);
  a_->Call<LayoutTextRequest, LayoutTextResponse>(Request("x", 1), deadline,
                                                  destroy);
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("y", 1), deadline,
      [&](absl::StatusOr<LayoutTextResponse>) { ++count; });
  ASSERT_TRUE(RunUntil([&] { return count == 2; }));
  EXPECT_EQ(result.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(a_, nullptr);
}

TEST_F(ChannelTest, CloseHandlerMayDestroyItsChannel) {
  CreateWithRawPeer();
  int closes = 0;
  ASSERT_TRUE(a_->Start([this, &closes](CloseReason, const absl::Status&) {
                  ++closes;
                  a_.reset();
                }).ok());
  CallLog& log = NewLog();
  CallFromA(&log);
  raw_.Close();
  ASSERT_TRUE(RunUntil([&] { return closes > 0; }));
  EXPECT_EQ(closes, 1);
  // Calls fail before the close handler runs.
  EXPECT_EQ(log.count, 1);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a_, nullptr);
}

TEST_F(ChannelTest, FailedCallCompletionMayDestroyTheChannel) {
  CreateWithRawPeer();
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  int count = 0;
  absl::Status result;
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("x", 1), absl::Now() + absl::Seconds(60),
      [this, &count, &result](absl::StatusOr<LayoutTextResponse> r) {
        ++count;
        result = r.status();
        a_.reset();
      });
  raw_.Close();
  ASSERT_TRUE(RunUntil([&] { return count > 0; }));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(result.code(), absl::StatusCode::kUnavailable);
  // The channel was gone before its close handler could run.
  EXPECT_EQ(a_closed_.count, 0);
}

// No completion runs inside the call that started it (channel.h), even when
// the call fails at once: here, on a channel already closed.
TEST_F(ChannelTest, CallOnAClosedChannelCompletesAfterTheCallReturned) {
  CreatePair();
  StartPair();
  a_->Close();
  bool returned = false;
  bool completed_inside = false;
  CallLog& log = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("late", 1), absl::Now() + absl::Seconds(5),
      [&, record = RecordCall(&log)](
          absl::StatusOr<LayoutTextResponse> result) mutable {
        completed_inside = !returned;
        record(std::move(result));
      });
  returned = true;
  ASSERT_TRUE(RunUntil([&] { return log.count > 0; }));
  EXPECT_FALSE(completed_inside);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnavailable);
}

// A write that fails inside the call (the peer is gone) closes the channel:
// the call's failure and the close handler both wait for the loop.
TEST_F(ChannelTest, CallWhoseWriteFailsCompletesAfterTheCallReturned) {
  CreatePair();
  StartPair();
  b_.reset();  // Its descriptor closes now: `a_`'s write meets EPIPE.
  bool returned = false;
  bool completed_inside = false;
  bool closed_inside = false;
  CallLog& log = NewLog();
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("nobody", 1), absl::Now() + absl::Seconds(5),
      [&, record = RecordCall(&log)](
          absl::StatusOr<LayoutTextResponse> result) mutable {
        completed_inside = !returned;
        record(std::move(result));
      });
  closed_inside = a_closed_.count > 0;
  returned = true;
  ASSERT_TRUE(RunUntil([&] { return log.count > 0 && a_closed_.count > 0; }));
  EXPECT_FALSE(completed_inside);
  EXPECT_FALSE(closed_inside);
  EXPECT_EQ(log.result->status().code(), absl::StatusCode::kUnavailable);
}

// An app that issues the next call from each completion: 5,000 calls that
// all fail at once run one per turn of the loop, in constant stack (were
// they nested, 5,000 levels of completion would span far more than the
// 64 KiB allowed).
TEST_F(ChannelTest, ChainOfFailingCallsDoesNotGrowTheStack) {
  constexpr int kCalls = 5'000;
  CreatePair();
  StartPair();
  a_->Close();
  int completed = 0;
  uintptr_t lowest = UINTPTR_MAX;
  uintptr_t highest = 0;
  std::function<void()> next = [&] {
    a_->Call<LayoutTextRequest, LayoutTextResponse>(
        Request("chain", 1), absl::Now() + absl::Seconds(5),
        [&](absl::StatusOr<LayoutTextResponse> result) {
          EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
          volatile char here = 0;
          const auto address = reinterpret_cast<uintptr_t>(&here);
          lowest = std::min(lowest, address);
          highest = std::max(highest, address);
          if (++completed < kCalls) next();
        });
  };
  next();
  ASSERT_TRUE(RunUntil([&] { return completed == kCalls; }, absl::Seconds(60)));
  EXPECT_LT(highest - lowest, 64u * 1024) << "the completions recursed";
}

}  // namespace
}  // namespace bulkhead::ipc::testing
