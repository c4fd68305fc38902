// Integration tests: a real Host launches real helpers (this test binary in a
// role), talks to them, and watches them end. Every wait is on an event,
// bounded by a deadline.
#include "host/host.h"

#include <atomic>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::ProcessExists;

// Every test here starts from a fresh Host with the test roles.
class HostTest : public testing::HostFixture {};

TEST_F(HostTest, HandshakeReachesReadyWithTheSandboxProbe) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
  EXPECT_GT(helper->pid(), 0);
  EXPECT_TRUE(ProcessExists(helper->pid()));
  EXPECT_EQ(helper->name(), "renderer-1");
  // The probe ran in the helper and reported what it found, whatever that is.
  EXPECT_FALSE(helper->sandbox_status().layers().empty());
}

TEST_F(HostTest, RendererLaysOutText) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  roles::LayoutTextRequest request;
  request.set_text("hello brave new world");
  request.set_width(11);
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(helper, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->lines(), ElementsAre("hello brave", "new world"));
  EXPECT_EQ(response->word_count(), 4u);
}

TEST_F(HostTest, GpuMultipliesMatrices) {
  HelperProcess* helper = LaunchReady("gpu");
  ASSERT_NE(helper, nullptr);
  roles::MultiplyMatricesRequest request;
  request.set_n(2);
  for (double v : {1.0, 2.0, 3.0, 4.0}) request.add_a(v);
  for (double v : {5.0, 6.0, 7.0, 8.0}) request.add_b(v);
  absl::StatusOr<roles::MultiplyMatricesResponse> response =
      CallAndWait<roles::MultiplyMatricesResponse>(helper, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->product(), ElementsAre(19.0, 22.0, 43.0, 50.0));
}

TEST_F(HostTest, UtilityHashesAndCompresses) {
  HelperProcess* helper = LaunchReady("utility");
  ASSERT_NE(helper, nullptr);
  roles::CompressBlobRequest request;
  request.set_data("123456789");
  absl::StatusOr<roles::CompressBlobResponse> response =
      CallAndWait<roles::CompressBlobResponse>(helper, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->crc32(), 0xCBF43926u);
  EXPECT_EQ(response->original_size(), 9u);
}

TEST_F(HostTest, NetworkParsesUrlsAndReportsBadOnes) {
  HelperProcess* helper = LaunchReady("network");
  ASSERT_NE(helper, nullptr);
  roles::ParseUrlsRequest request;
  request.add_urls("https://Example.ORG/a?b=c");
  request.add_urls("::nonsense");
  absl::StatusOr<roles::ParseUrlsResponse> response =
      CallAndWait<roles::ParseUrlsResponse>(helper, request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->parsed_size(), 2);
  EXPECT_EQ(response->parsed(0).host(), "example.org");
  EXPECT_EQ(response->parsed(0).port(), 443u);
  EXPECT_EQ(response->errors(0), "");
  EXPECT_NE(response->errors(1), "");
}

TEST_F(HostTest, RoleErrorsReachTheCallerAsStatus) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  roles::LayoutTextRequest request;
  request.set_text("width zero is invalid");
  request.set_width(0);
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(helper, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(helper->state(),
            HelperProcess::State::kReady);  // An error is not a crash.
}

TEST_F(HostTest, PingMeasuresARoundTrip) {
  HelperProcess* helper = LaunchReady("gpu");
  ASSERT_NE(helper, nullptr);
  std::optional<absl::StatusOr<absl::Duration>> rtt;
  helper->Ping(absl::Now() + absl::Seconds(5),
               [&](absl::StatusOr<absl::Duration> r) { rtt = r; });
  ASSERT_TRUE(RunUntil([&] { return rtt.has_value(); }));
  ASSERT_TRUE(rtt->ok()) << rtt->status();
  EXPECT_GT(**rtt, absl::ZeroDuration());
}

TEST_F(HostTest, CallToAStalledHelperExpiresAtItsDeadline) {
  HelperProcess* helper = LaunchReady("stall");
  ASSERT_NE(helper, nullptr);
  roles::LayoutTextRequest request;
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(helper, request,
                                             absl::Milliseconds(300));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(ProcessExists(
      helper->pid()));  // Slow is not dead: the host did not kill it.
  EXPECT_TRUE(exits_.empty());
}

TEST_F(HostTest, HelperClosingItsEndFailsPendingCallsAtOnce) {
  HelperProcess* helper = LaunchReady("closer");
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();
  roles::LayoutTextRequest request;
  // The deadline is far away: only the closed channel can end this call in
  // time.
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(helper, request,
                                             absl::Seconds(60));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable)
      << response.status();
  // The helper is still blocked; after the grace period the host terminates it.
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
  EXPECT_THAT(exit->detail, HasSubstr("closed its channel"));
}

class GarbageTest : public HostTest,
                    public ::testing::WithParamInterface<std::string> {};

TEST_P(GarbageTest, IsABadMessageAndSpareTheSiblings) {
  HelperProcess* sibling = LaunchReady("renderer");
  HelperProcess* liar = LaunchReady("garbage");
  ASSERT_NE(sibling, nullptr);
  ASSERT_NE(liar, nullptr);
  const uint64_t liar_id = liar->id();
  const int64_t liar_pid = liar->pid();
  roles::LayoutTextRequest request;
  request.set_text(GetParam());
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(liar, request);
  EXPECT_FALSE(
      response.ok());  // The channel was closed before the answer was read.

  const ExitInfo* exit = WaitForExit(liar_id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kBadMessage) << exit->Describe();
  EXPECT_FALSE(exit->detail.empty());
  EXPECT_EQ(exit->pid, liar_pid);
  // Gone: an exec'd helper is reaped before it is reported; a forked
  // sandboxed one is reaped by its namespace's init just after init has
  // written the record the host reports it from (seen still a zombie here,
  // once, under ASan).
  EXPECT_TRUE(
      RunUntil([&] { return !ProcessExists(liar_pid); }, absl::Seconds(5)));

  roles::LayoutTextRequest work;
  work.set_text("still here");
  work.set_width(20);
  absl::StatusOr<roles::LayoutTextResponse> sibling_answer =
      CallAndWait<roles::LayoutTextResponse>(sibling, work);
  ASSERT_TRUE(sibling_answer.ok()) << sibling_answer.status();
  EXPECT_THAT(sibling_answer->lines(), ElementsAre("still here"));
}

INSTANTIATE_TEST_SUITE_P(Kinds, GarbageTest,
                         ::testing::Values("not-protobuf", "oversize",
                                           "reply-to-nothing", "second-hello",
                                           "empty-control"));

TEST_F(HostTest, HelperThatExitsBeforeReadyIsReported) {
  std::optional<absl::Status> ready;
  absl::StatusOr<HelperProcess*> launched = host_->Launch(
      "exit7",
      [&](absl::StatusOr<HelperProcess*> helper) { ready = helper.status(); });
  ASSERT_TRUE(launched.ok());
  const uint64_t id = (*launched)->id();
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kErrorExit);
  EXPECT_EQ(exit->exit_code, 7);
  EXPECT_THAT(exit->last_stderr_lines,
              ::testing::ElementsAre("exit7: first words",
                                     "exit7: about to exit with 7"));
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->code(), absl::StatusCode::kUnavailable);
}

// Host::Options::role_options: one role's settings differ from the rest.
class HostRoleOptionsTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    Host::RoleOptions gpu;
    gpu.sandbox_helpers = false;
    gpu.heartbeat = Heartbeat::Options{.interval = absl::Milliseconds(20)};
    options.role_options["gpu"] = gpu;
  }
};

TEST_F(HostRoleOptionsTest, ARolesOwnSettingsWin) {
  HelperProcess* gpu = LaunchReady("gpu");
  HelperProcess* renderer = LaunchReady("renderer");
  ASSERT_NE(gpu, nullptr);
  ASSERT_NE(renderer, nullptr);
  EXPECT_FALSE(gpu->sandboxed());
  EXPECT_EQ(renderer->sandboxed(), SandboxedLaunchAvailable());
  // A Beat every 20 ms instead of every second: ten come back well within
  // the two seconds the host-wide interval would need for two.
  EXPECT_TRUE(RunUntil([&] { return gpu->channel().frames_received() >= 12; },
                       absl::Seconds(2)))
      << gpu->channel().frames_received();
}

TEST_F(HostTest, UnknownRoleIsRefusedUpFront) {
  absl::StatusOr<HelperProcess*> launched = host_->Launch("plumber", nullptr);
  EXPECT_EQ(launched.status().code(), absl::StatusCode::kNotFound);
  // The error names the roles there are.
  EXPECT_THAT(std::string(launched.status().message()),
              ::testing::StartsWith("unknown role 'plumber'; one of "));
  EXPECT_THAT(std::string(launched.status().message()),
              ::testing::HasSubstr("renderer"));
  EXPECT_EQ(host_->Launch("Bad Name", nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A heartbeat of no interval would ping on every turn of the loop (or, with
// the old repeating timer, never after its first): refused where it is given.
TEST(HostHeartbeatOptionsTest, AZeroIntervalOrTimeoutIsRefused) {
  Host::Options zero_interval;
  zero_interval.heartbeat.interval = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<Host>> refused =
      Host::Create(std::move(zero_interval));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("Host::Options::heartbeat"));
  Host::Options role_timeout;
  role_timeout.role_options["gpu"].heartbeat =
      Heartbeat::Options{.timeout = absl::Milliseconds(-5)};
  refused = Host::Create(std::move(role_timeout));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("role_options[gpu]"));
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(Host::Options());
  ASSERT_TRUE(host.ok()) << host.status();
  Host::LaunchOverrides overrides;
  overrides.heartbeat = Heartbeat::Options{.interval = absl::Microseconds(10)};
  absl::StatusOr<HelperProcess*> launched =
      (*host)->Launch("renderer", std::move(overrides), nullptr);
  EXPECT_EQ(launched.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(launched.status().message()),
              HasSubstr("LaunchOverrides::heartbeat"));
  EXPECT_TRUE((*host)->helpers().empty());
}

TEST(HostLaunchTest, MissingExecutableFailsTheLaunch) {
  Host::Options options;
  options.executable = "/nonexistent/bulkhead-helper";
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(std::move(options));
  ASSERT_TRUE(host.ok());
  absl::StatusOr<HelperProcess*> launched =
      (*host)->Launch("renderer", nullptr);
  EXPECT_FALSE(launched.ok());
  EXPECT_THAT(std::string(launched.status().message()),
              HasSubstr("/nonexistent/"));
  EXPECT_TRUE((*host)->helpers().empty());
}

TEST_F(HostTest, ShutdownStopsEveryHelperAndLeavesNoProcess) {
  std::vector<int64_t> pids;
  for (const char* role : {"renderer", "gpu", "utility", "network"}) {
    HelperProcess* helper = LaunchReady(role);
    ASSERT_NE(helper, nullptr);
    pids.push_back(helper->pid());
  }
  bool done = false;
  host_->Shutdown(absl::Seconds(2), [&] { done = true; });
  ASSERT_TRUE(RunUntil([&] { return done; }));
  ASSERT_EQ(exits_.size(), 4u);
  for (const ExitInfo& exit : exits_) {
    EXPECT_EQ(exit.kind, ExitKind::kHostShutdown)
        << exit.role << ": " << exit.Describe();
    EXPECT_EQ(exit.exit_code, 0) << exit.role;
  }
  EXPECT_TRUE(host_->helpers().empty());
  for (int64_t pid : pids) EXPECT_FALSE(ProcessExists(pid)) << pid;
}

TEST_F(HostTest, ShutdownEscalatesToSignalsForAHelperThatCannotListen) {
  HelperProcess* stalled = LaunchReady("stall");
  ASSERT_NE(stalled, nullptr);
  const int64_t pid = stalled->pid();
  // Block the helper's loop inside a handler, so that Shutdown is never read.
  stalled->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      roles::LayoutTextRequest(), absl::Now() + absl::Seconds(60),
      [](absl::StatusOr<roles::LayoutTextResponse>) {});
  bool done = false;
  host_->Shutdown(absl::Milliseconds(200), [&] { done = true; });
  ASSERT_TRUE(RunUntil([&] { return done; }));
  ASSERT_EQ(exits_.size(), 1u);
  EXPECT_EQ(exits_[0].kind, ExitKind::kHostShutdown) << exits_[0].Describe();
  EXPECT_EQ(exits_[0].signal, SIGTERM);
  EXPECT_FALSE(ProcessExists(pid));
}

TEST_F(HostTest, DestroyingTheHostKillsItsHelpers) {
  HelperProcess* helper = LaunchReady("utility");
  ASSERT_NE(helper, nullptr);
  const int64_t pid = helper->pid();
  ASSERT_TRUE(ProcessExists(pid));
  host_.reset();
  EXPECT_FALSE(ProcessExists(pid));
}

TEST_F(HostTest, PostRunsTasksFromOtherThreadsOnTheLoop) {
  std::atomic<int> ran{0};
  std::thread poster([&] {
    for (int i = 0; i < 100; ++i) host_->Post([&] { ran.fetch_add(1); });
  });
  poster.join();
  EXPECT_TRUE(RunUntil([&] { return ran.load() == 100; }));
}

}  // namespace
}  // namespace bulkhead
