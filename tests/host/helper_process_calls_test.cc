// What an app meets calling real helpers: completions never inside the call,
// a failed call that says how its helper ended, kill-on-deadline, busy is not
// hung, and the handler's own errors told from the channel's.
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "host/exit_info_status.h"
#include "host/helper_process.h"
#include "host/symbolizer.h"
#include "ipc/handler_error.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

using roles::LayoutTextRequest;
using roles::LayoutTextResponse;

LayoutTextRequest Text(const std::string& text) {
  LayoutTextRequest request;
  request.set_text(text);
  return request;
}

class HelperCallTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
  }

  // `helper` is asked to stop but, deaf, never does within the test: it is
  // not ready, and stays.
  HelperProcess* NotReadyHelper() {
    HelperProcess* helper = LaunchReady("deaf");
    if (helper != nullptr) helper->Stop(absl::Seconds(60), "test");
    return helper;
  }
};

// The rule of the whole API: a completion never runs inside the call that
// started it, even when the call fails at once.
TEST_F(HelperCallTest, CallsToAHelperThatIsNotReadyCompleteAfterTheyReturned) {
  HelperProcess* helper = NotReadyHelper();
  ASSERT_NE(helper, nullptr);
  ASSERT_EQ(helper->state(), HelperProcess::State::kStopping);
  bool returned = false;
  int inside = 0;
  int completed = 0;
  auto note = [&] {
    inside += !returned;
    ++completed;
  };
  helper->Call<LayoutTextRequest, LayoutTextResponse>(
      Text("x"), absl::Now() + absl::Seconds(5),
      [&](absl::StatusOr<LayoutTextResponse> result) {
        EXPECT_TRUE(absl::IsUnavailable(result.status())) << result.status();
        note();
      });
  helper->Ping(absl::Now() + absl::Seconds(5),
               [&](absl::StatusOr<absl::Duration>) { note(); });
  helper->InjectFault(ipc::FAULT_KIND_SEGV, 0, [&](absl::Status) { note(); });
  helper->CallControl(ipc::Control(), absl::Now() + absl::Seconds(5),
                      [&](absl::StatusOr<ipc::Control>) { note(); });
  returned = true;
  ASSERT_TRUE(RunUntil([&] { return completed == 4; }));
  EXPECT_EQ(inside, 0);
}

// An app that issues the next call from each completion does not recurse:
// 5,000 calls that fail at once run in constant stack (were they nested,
// 5,000 levels of completion would span far more than the 64 KiB allowed).
TEST_F(HelperCallTest, AChainOfFailingCallsDoesNotGrowTheStack) {
  constexpr int kCalls = 5'000;
  HelperProcess* helper = NotReadyHelper();
  ASSERT_NE(helper, nullptr);
  int completed = 0;
  uintptr_t lowest = UINTPTR_MAX;
  uintptr_t highest = 0;
  std::function<void()> next = [&] {
    helper->Call<LayoutTextRequest, LayoutTextResponse>(
        Text("chain"), absl::Now() + absl::Seconds(5),
        [&](absl::StatusOr<LayoutTextResponse> result) {
          EXPECT_TRUE(absl::IsUnavailable(result.status())) << result.status();
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

TEST_F(HelperCallTest, ShutdownWithNoHelperRunsDoneAfterItReturned) {
  bool returned = false;
  std::optional<bool> inside;
  host_->Shutdown(absl::Seconds(1), [&] { inside = !returned; });
  returned = true;
  ASSERT_TRUE(RunUntil([&] { return inside.has_value(); }));
  EXPECT_FALSE(*inside);
}

// A crash fails the call in flight with the crash itself: the status carries
// the ExitInfo, and the call completes before the exit handler runs.
TEST_F(HelperCallTest, ACallWhoseHelperCrashedSaysHowItEnded) {
  HelperProcess* helper = LaunchReady("worker");
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();
  std::optional<absl::Status> status;
  size_t exits_at_completion = 0;
  helper->Call<LayoutTextRequest, LayoutTextResponse>(
      Text("crash"), absl::Now() + absl::Seconds(10),
      [&](absl::StatusOr<LayoutTextResponse> result) {
        status = result.status();
        exits_at_completion = exits_.size();
      });
  ASSERT_TRUE(RunUntil([&] { return status.has_value() && !exits_.empty(); }));
  EXPECT_TRUE(absl::IsUnavailable(*status)) << *status;
  std::optional<ExitInfo> exit = ExitInfoFromStatus(*status);
  ASSERT_TRUE(exit.has_value()) << "no ExitInfo in " << *status;
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGSEGV);
  EXPECT_EQ(exit->helper_id, id);
  EXPECT_EQ(exit->role, "worker");
  ASSERT_FALSE(exit->stack_trace.empty());
  EXPECT_TRUE(absl::StrContains(status->message(), "crashed")) << *status;
  // The stack starts in the app's code (the handler that crashed), not in
  // Bulkhead's crash handler.
  const std::string stack = absl::StrJoin(exit->stack_trace, "\n");
  EXPECT_FALSE(absl::StrContains(stack, "OnFatalSignal")) << stack;
  if (CanSymbolizeOwnCode()) {
    EXPECT_TRUE(absl::StrContains(exit->stack_trace[0], "WorkerMain")) << stack;
  }
  // The documented order: the failed calls, then the exit handler.
  EXPECT_EQ(exits_at_completion, 0u);
  ASSERT_EQ(exits_.size(), 1u);
  EXPECT_EQ(exits_[0].kind, ExitKind::kCrashed);
}

// A call made with kill_on_deadline frees the caller and the helper: the
// helper, still busy on it, is killed, and both the call and the exit say so.
TEST_F(HelperCallTest, KillOnDeadlineKillsTheHelperAndSaysSo) {
  HelperProcess* helper = LaunchReady("worker");
  ASSERT_NE(helper, nullptr);
  std::optional<absl::Status> status;
  HelperProcess::CallOptions options;
  options.kill_on_deadline = true;
  helper->Call<LayoutTextRequest, LayoutTextResponse>(
      Text("sleep:60000"), absl::Now() + absl::Milliseconds(300), options,
      [&](absl::StatusOr<LayoutTextResponse> result) {
        status = result.status();
      });
  ASSERT_TRUE(RunUntil([&] { return status.has_value() && !exits_.empty(); }));
  EXPECT_TRUE(absl::IsDeadlineExceeded(*status)) << *status;
  std::optional<ExitInfo> exit = ExitInfoFromStatus(*status);
  ASSERT_TRUE(exit.has_value()) << "no ExitInfo in " << *status;
  EXPECT_EQ(exit->kind, ExitKind::kDeadlineKilled) << exit->Describe();
  EXPECT_EQ(exits_[0].kind, ExitKind::kDeadlineKilled) << exits_[0].Describe();
  EXPECT_TRUE(absl::StrContains(exits_[0].Describe(), "deadline-killed"));
  EXPECT_TRUE(absl::StrContains(exits_[0].detail, "LayoutTextRequest"))
      << exits_[0].detail;
}

// Without the option, a deadline frees the caller only: the helper is not
// killed for it.
TEST_F(HelperCallTest, ADeadlineAloneDoesNotKillTheHelper) {
  HelperProcess* helper = LaunchReady("worker");
  ASSERT_NE(helper, nullptr);
  std::optional<absl::Status> status;
  helper->Call<LayoutTextRequest, LayoutTextResponse>(
      Text("sleep:1000"), absl::Now() + absl::Milliseconds(200),
      [&](absl::StatusOr<LayoutTextResponse> result) {
        status = result.status();
      });
  ASSERT_TRUE(RunUntil([&] { return status.has_value(); }));
  EXPECT_TRUE(absl::IsDeadlineExceeded(*status)) << *status;
  EXPECT_FALSE(ExitInfoFromStatus(*status).has_value());
  absl::StatusOr<LayoutTextResponse> next =
      CallAndWait<LayoutTextResponse>(helper, Text("after"));
  EXPECT_TRUE(next.ok()) << next.status();
  EXPECT_TRUE(exits_.empty());
}

// Over a real helper: the app's handler's refusal is marked as its own, the
// helper's channel's "no handler" is not.
TEST_F(HelperCallTest, TheHandlersOwnErrorIsMarked) {
  HelperProcess* helper = LaunchReady("worker");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<LayoutTextResponse> refused =
      CallAndWait<LayoutTextResponse>(helper, Text("refuse"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ipc::IsHandlerError(refused.status())) << refused.status();
  EXPECT_EQ(refused.status().message(), "the handler refuses this input");
  absl::StatusOr<roles::ParseUrlsResponse> unserved =
      CallAndWait<roles::ParseUrlsResponse>(helper, roles::ParseUrlsRequest());
  EXPECT_EQ(unserved.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_FALSE(ipc::IsHandlerError(unserved.status())) << unserved.status();
}

// A role's main sees what it was launched with after bulkhead's switches:
// the host's helper_args, then the launch's extra_args.
TEST_F(HelperCallTest, ARolesMainSeesItsLaunchArguments) {
  Host::LaunchOverrides overrides;
  overrides.extra_args = {"--quality=90", "input.png", "--", "-v"};
  HelperProcess* helper = nullptr;
  bool finished = false;
  ASSERT_TRUE(host_
                  ->Launch("worker", overrides,
                           [&](absl::StatusOr<HelperProcess*> ready) {
                             finished = true;
                             ASSERT_TRUE(ready.ok()) << ready.status();
                             helper = *ready;
                           })
                  .ok());
  ASSERT_TRUE(RunUntil([&] { return finished; }));
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<LayoutTextResponse> args =
      CallAndWait<LayoutTextResponse>(helper, Text("args"));
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(
      std::vector<std::string>(args->lines().begin(), args->lines().end()),
      overrides.extra_args);
}

class SmallSharedBodyTest : public HelperCallTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    HelperCallTest::ModifyOptions(options);
    options.channel.shared_memory_threshold = 16 * 1024;
    options.channel.max_shared_body_size = 100 * 1024;
  }
};

// The channel's shared-memory limits come from Host::Options: a message over
// the largest shared body set there is refused (the default takes 1 GiB).
TEST_F(SmallSharedBodyTest, TheHostsChannelLimitsApply) {
  HelperProcess* helper = LaunchReady("worker");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<LayoutTextResponse> small =
      CallAndWait<LayoutTextResponse>(helper, Text(std::string(50'000, 's')));
  EXPECT_TRUE(small.ok()) << small.status();
  absl::StatusOr<LayoutTextResponse> large =
      CallAndWait<LayoutTextResponse>(helper, Text(std::string(200'000, 'l')));
  EXPECT_EQ(large.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(large.status().message(), "102400"))
      << large.status();
  EXPECT_FALSE(ipc::IsHandlerError(large.status()));
}

class HeartbeatCallTest : public HelperCallTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    HelperCallTest::ModifyOptions(options);
    options.heartbeat.interval = absl::Milliseconds(100);
    options.heartbeat.timeout = absl::Milliseconds(400);
  }
};

// Busy is not hung: a handler that blocks its helper's loop longer than the
// heartbeat's timeout, within its call's deadline, is answered.
TEST_F(HeartbeatCallTest, AHelperBusyOnACallWithinItsDeadlineIsNotHung) {
  HelperProcess* helper = LaunchReady("worker");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<LayoutTextResponse> reply = CallAndWait<LayoutTextResponse>(
      helper, Text("sleep:1500"), absl::Seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->lines(0), "sleep:1500");
  EXPECT_TRUE(exits_.empty()) << exits_[0].Describe();
}

// The heartbeat writes nothing to an idle helper: the helper's own Beats
// (helper/beat_sender.h) keep it Ready, one per interval.
TEST_F(HeartbeatCallTest, AnIdleHelperIsWrittenNothingAndStaysReady) {
  HelperProcess* helper = LaunchReady("worker");
  ASSERT_NE(helper, nullptr);
  const uint64_t sent = helper->channel().frames_sent();
  const uint64_t received = helper->channel().frames_received();
  // Five of its Beats: five intervals, each with a heartbeat tick.
  ASSERT_TRUE(RunUntil(
      [&] { return helper->channel().frames_received() >= received + 5; },
      absl::Seconds(5)));
  EXPECT_EQ(helper->channel().frames_sent(), sent)
      << "the host wrote to an idle helper";
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
  EXPECT_FALSE(helper->overdue_ping().has_value());
  EXPECT_TRUE(exits_.empty()) << exits_[0].Describe();
}

// A heartbeat faster than the grace a helper gets once its channel is gone.
class HeartbeatHangUpTest : public HeartbeatCallTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    HeartbeatCallTest::ModifyOptions(options);
    options.handshake_timeout = absl::Milliseconds(1500);
  }
};

// A helper that closes its channel and lives on is stopped (SIGTERM once the
// grace has passed), not convicted as hung for the Beats it no longer sends.
TEST_F(HeartbeatHangUpTest, AHelperThatHangsUpIsStoppedNotConvictedAsHung) {
  HelperProcess* helper = LaunchReady("closer");
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();
  helper->Call<LayoutTextRequest, LayoutTextResponse>(
      Text("close"), absl::Now() + absl::Seconds(5),
      [](absl::StatusOr<LayoutTextResponse>) {});
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
}

// Once the call's deadline has passed, a helper that still answers nothing
// is hung.
TEST_F(HeartbeatCallTest, AHelperStillStuckPastItsCallsDeadlineIsHung) {
  HelperProcess* helper = LaunchReady("worker");
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();
  std::optional<absl::Status> status;
  helper->Call<LayoutTextRequest, LayoutTextResponse>(
      Text("sleep:60000"), absl::Now() + absl::Milliseconds(800),
      [&](absl::StatusOr<LayoutTextResponse> result) {
        status = result.status();
      });
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kHung) << exit->Describe();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(absl::IsDeadlineExceeded(*status)) << *status;
}

}  // namespace
}  // namespace bulkhead
