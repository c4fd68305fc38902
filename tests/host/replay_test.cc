// Replaying a repro (host/replay.h) on real helpers: a request that crashed
// the renderer (the demo's poison text) crashes a fresh one again, sandboxed
// or not; a harmless one is answered; completions never run inside the call.
#include "host/replay.h"

#include <csignal>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/launch/launch_options.h"
#include "host/repro.h"
#include "sample_roles/builtin_roles.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

roles::LayoutTextRequest TextRequest(const std::string& text) {
  roles::LayoutTextRequest request;
  request.set_text(text);
  request.set_width(20);
  return request;
}

class ReplayTest : public testing::HostFixture,
                   public ::testing::WithParamInterface<bool> {
 protected:
  bool sandboxed() const { return GetParam() && SandboxedLaunchAvailable(); }

  // Sends `request` to a fresh renderer the ordinary way and waits for it to
  // die: the death a pool would record.
  ExitInfo KillARenderer(const roles::LayoutTextRequest& request) {
    HelperProcess* helper = LaunchReady("renderer");
    if (helper == nullptr) return {};
    const uint64_t id = helper->id();
    absl::StatusOr<roles::LayoutTextResponse> reply =
        CallAndWait<roles::LayoutTextResponse>(helper, request);
    EXPECT_FALSE(reply.ok());
    const ExitInfo* exit = WaitForExit(id);
    EXPECT_NE(exit, nullptr);
    return exit == nullptr ? ExitInfo() : *exit;
  }

  absl::StatusOr<ReplayOutcome> Replay(const Repro& repro,
                                       ReplayOptions options = {}) {
    options.sandboxed = sandboxed();
    std::optional<absl::StatusOr<ReplayOutcome>> result;
    bool returned = false;
    ReplayRepro(*host_, repro, std::move(options),
                [&](absl::StatusOr<ReplayOutcome> outcome) {
                  EXPECT_TRUE(returned) << "completed inside ReplayRepro";
                  EXPECT_FALSE(result.has_value()) << "completed twice";
                  result = std::move(outcome);
                });
    returned = true;
    EXPECT_TRUE(
        RunUntil([&] { return result.has_value(); }, absl::Seconds(30)));
    if (!result.has_value()) return absl::InternalError("never completed");
    return *std::move(result);
  }
};

TEST_P(ReplayTest, ThePoisonStillCrashesAFreshHelper) {
  const roles::LayoutTextRequest poison =
      TextRequest(std::string(roles::kDemoCrashText) + "segv");
  const ExitInfo died = KillARenderer(poison);
  ASSERT_EQ(died.kind, ExitKind::kCrashed) << died.Describe();
  ASSERT_EQ(died.signal, SIGSEGV);

  absl::StatusOr<Repro> made = MakeRepro("renderer", poison, died);
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string path = ::testing::TempDir() + "/replay_test_" +
                           std::to_string(GetParam()) + ".repro";
  ASSERT_TRUE(WriteRepro(path, *made, {.overwrite = true}).ok());
  absl::StatusOr<Repro> read = ReadRepro(path);
  ASSERT_TRUE(read.ok()) << read.status();

  absl::StatusOr<ReplayOutcome> outcome = Replay(*read);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->died_in_flight);
  EXPECT_EQ(outcome->exit.kind, ExitKind::kCrashed) << outcome->exit.Describe();
  EXPECT_EQ(outcome->exit.signal, SIGSEGV);
  EXPECT_EQ(outcome->exit.role, "renderer");
  EXPECT_TRUE(absl::IsUnavailable(outcome->call_status))
      << outcome->call_status;
  EXPECT_TRUE(ReproducesDeath(*read, *outcome));
  std::remove(path.c_str());
}

TEST_P(ReplayTest, AHarmlessRequestIsAnswered) {
  ExitInfo died;
  died.kind = ExitKind::kCrashed;
  died.signal = SIGSEGV;
  absl::StatusOr<Repro> repro =
      MakeRepro("renderer", TextRequest("all is well here"), died);
  ASSERT_TRUE(repro.ok());
  absl::StatusOr<ReplayOutcome> outcome = Replay(*repro);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->call_status.ok()) << outcome->call_status;
  EXPECT_FALSE(outcome->died_in_flight);
  EXPECT_EQ(outcome->reply_type, "bulkhead.roles.LayoutTextResponse");
  roles::LayoutTextResponse reply;
  ASSERT_TRUE(reply.ParseFromString(outcome->reply));
  EXPECT_EQ(reply.word_count(), 4u);
  // The replay stops the helper once it answered.
  EXPECT_EQ(outcome->exit.kind, ExitKind::kStoppedByHost)
      << outcome->exit.Describe();
  EXPECT_FALSE(ReproducesDeath(*repro, *outcome));
}

TEST_P(ReplayTest, ADifferentDeathIsNotAReproduction) {
  // Recorded as a SIGSEGV, the request now aborts.
  ExitInfo died;
  died.kind = ExitKind::kCrashed;
  died.signal = SIGSEGV;
  absl::StatusOr<Repro> repro = MakeRepro(
      "renderer", TextRequest(std::string(roles::kDemoCrashText) + "abort"),
      died);
  ASSERT_TRUE(repro.ok());
  absl::StatusOr<ReplayOutcome> outcome = Replay(*repro);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->died_in_flight);
  EXPECT_EQ(outcome->exit.kind, ExitKind::kCrashed);
  EXPECT_EQ(outcome->exit.signal, SIGABRT);
  EXPECT_FALSE(ReproducesDeath(*repro, *outcome));
}

TEST_P(ReplayTest, AHangingRequestEndsAtTheDeadline) {
  ExitInfo died;
  died.kind = ExitKind::kHung;
  absl::StatusOr<Repro> repro =
      MakeRepro("renderer",
                TextRequest(std::string(roles::kDemoCrashText) + "hang"), died);
  ASSERT_TRUE(repro.ok());
  ReplayOptions options;
  options.deadline = absl::Milliseconds(300);
  options.heartbeat = Heartbeat::Options{.interval = absl::Seconds(60),
                                         .timeout = absl::Seconds(120)};
  absl::StatusOr<ReplayOutcome> outcome = Replay(*repro, std::move(options));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(absl::IsDeadlineExceeded(outcome->call_status))
      << outcome->call_status;
  EXPECT_FALSE(outcome->died_in_flight);
  EXPECT_EQ(outcome->exit.kind, ExitKind::kKilledByHost)
      << outcome->exit.Describe();
}

INSTANTIATE_TEST_SUITE_P(Sandbox, ReplayTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "sandboxed" : "unsandboxed";
                         });

class ReplayErrorTest : public testing::HostFixture {};

TEST_F(ReplayErrorTest, WhatThisProgramCannotSendIsAnErrorAfterTheCall) {
  ExitInfo died;
  died.kind = ExitKind::kCrashed;
  died.signal = SIGSEGV;
  struct Case {
    std::string role;
    std::string type;
    std::string bytes;
    absl::StatusCode code;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"no-such-role", "bulkhead.roles.LayoutTextRequest", "",
            absl::StatusCode::kNotFound, "unknown role"},
           {"renderer", "app.NotLinkedHere", "", absl::StatusCode::kNotFound,
            "not linked"},
           {"renderer", "bulkhead.roles.LayoutTextRequest", "\xff\xff",
            absl::StatusCode::kInvalidArgument, "do not parse"}}) {
    absl::StatusOr<Repro> repro =
        MakeReproFromBytes(c.role, c.type, c.bytes, died);
    ASSERT_TRUE(repro.ok()) << repro.status();
    std::optional<absl::StatusOr<ReplayOutcome>> result;
    ReplayRepro(*host_, *repro, {}, [&](absl::StatusOr<ReplayOutcome> outcome) {
      result = std::move(outcome);
    });
    EXPECT_FALSE(result.has_value()) << "completed inside ReplayRepro";
    ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
    EXPECT_EQ(result->status().code(), c.code) << result->status();
    EXPECT_THAT(result->status().message(), HasSubstr(c.says));
  }
  EXPECT_TRUE(host_->helpers().empty());
}

TEST_F(ReplayErrorTest, AHelperThatDiesBeforeReadyNeverGotTheRequest) {
  // exit7 exits with code 7 before Ready: whatever its repro says, the
  // request never reached it, and a death before it did reproduces nothing.
  ExitInfo died;
  died.kind = ExitKind::kErrorExit;
  died.exit_code = 7;
  absl::StatusOr<Repro> repro =
      MakeRepro("exit7", TextRequest("never sent"), died);
  ASSERT_TRUE(repro.ok());
  std::optional<absl::StatusOr<ReplayOutcome>> result;
  ReplayRepro(*host_, *repro, {}, [&](absl::StatusOr<ReplayOutcome> outcome) {
    result = std::move(outcome);
  });
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
  ASSERT_TRUE(result->ok()) << result->status();
  const ReplayOutcome& outcome = **result;
  EXPECT_EQ(outcome.exit.exit_code, 7) << outcome.exit.Describe();
  EXPECT_FALSE(outcome.died_in_flight);
  EXPECT_TRUE(absl::IsUnavailable(outcome.call_status));
  EXPECT_THAT(outcome.call_status.message(), HasSubstr("never became ready"));
  EXPECT_FALSE(ReproducesDeath(*repro, outcome));
}

TEST_F(ReplayErrorTest, DestroyingTheHostMidReplayNeverCompletes) {
  ExitInfo died;
  died.kind = ExitKind::kHung;
  absl::StatusOr<Repro> repro =
      MakeRepro("renderer",
                TextRequest(std::string(roles::kDemoCrashText) + "hang"), died);
  ASSERT_TRUE(repro.ok());
  bool completed = false;
  bool ready = false;
  ReplayOptions options;
  options.on_ready = [&](HelperProcess&) { ready = true; };
  ReplayRepro(*host_, *repro, std::move(options),
              [&](absl::StatusOr<ReplayOutcome>) { completed = true; });
  ASSERT_TRUE(RunUntil([&] { return ready; }));
  // The request is in flight (the helper spins): the call is pending when
  // the host goes, and its CANCELLED must not touch the host.
  host_.reset();
  EXPECT_FALSE(completed);
}

}  // namespace
}  // namespace bulkhead
