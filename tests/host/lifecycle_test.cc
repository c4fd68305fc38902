// Each helper's lifecycle stream is complete, ordered and exactly-once,
// including when channel end-of-stream, process exit and kills race.
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/launch/launch_options.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;

struct Recorded {
  std::vector<LifecycleStage> stages;
  std::optional<ExitInfo> exit;
};

class LifecycleTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
  }

  void SetUp() override {
    HostFixture::SetUp();
    host_->SetLifecycleHandler([this](const LifecycleEvent& event) {
      Recorded& r = streams_[event.helper_id];
      r.stages.push_back(event.stage);
      if (event.exit != nullptr) r.exit = *event.exit;
    });
  }

  // Strictly increasing stages, ending in exactly one kExited.
  void ExpectWellFormed(uint64_t id) {
    const Recorded& r = streams_[id];
    ASSERT_FALSE(r.stages.empty()) << id;
    for (size_t i = 1; i < r.stages.size(); ++i) {
      EXPECT_LT(r.stages[i - 1], r.stages[i])
          << "helper " << id << ": " << LifecycleStageName(r.stages[i - 1])
          << " then " << LifecycleStageName(r.stages[i]);
    }
    EXPECT_EQ(r.stages.back(), LifecycleStage::kExited) << id;
    EXPECT_TRUE(r.exit.has_value()) << id;
  }

  bool Exited(uint64_t id) {
    auto it = streams_.find(id);
    return it != streams_.end() && it->second.exit.has_value();
  }

  std::map<uint64_t, Recorded> streams_;
};

TEST_F(LifecycleTest, ANormalLifeHasEveryStage) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();
  bool done = false;
  host_->Shutdown(absl::Seconds(2), [&] { done = true; });
  ASSERT_TRUE(RunUntil([&] { return done; }));
  EXPECT_THAT(streams_[id].stages,
              ElementsAre(LifecycleStage::kLaunching, LifecycleStage::kStarted,
                          LifecycleStage::kReady, LifecycleStage::kExiting,
                          LifecycleStage::kExited));
  EXPECT_EQ(streams_[id].exit->kind, ExitKind::kHostShutdown);
}

TEST_F(LifecycleTest, KillRightAfterLaunchIsKilledByHost) {
  std::optional<absl::Status> ready;
  absl::StatusOr<HelperProcess*> launched = host_->Launch(
      "gpu", [&](absl::StatusOr<HelperProcess*> h) { ready = h.status(); });
  ASSERT_TRUE(launched.ok());
  const uint64_t id = (*launched)->id();
  (*launched)->Kill(HostAction::kKillRequested, "changed my mind");
  ASSERT_TRUE(RunUntil([&] { return Exited(id); }));
  ExpectWellFormed(id);
  EXPECT_EQ(streams_[id].exit->kind, ExitKind::kKilledByHost)
      << streams_[id].exit->Describe();
  if (streams_[id].exit->pid == 0) {
    // A sandboxed launch (Linux) still on its way is called off: nothing
    // was started.
    EXPECT_THAT(streams_[id].stages,
                ElementsAre(LifecycleStage::kLaunching,
                            LifecycleStage::kExiting, LifecycleStage::kExited));
  } else {
    EXPECT_THAT(
        streams_[id].stages,
        ElementsAre(LifecycleStage::kLaunching, LifecycleStage::kStarted,
                    LifecycleStage::kExiting, LifecycleStage::kExited));
  }
  ASSERT_TRUE(ready.has_value());
  EXPECT_FALSE(ready->ok());
}

TEST_F(LifecycleTest, AFailedSpawnStillClosesItsStream) {
  Host::Options options;
  options.executable = "/nonexistent/helper";
  absl::StatusOr<std::unique_ptr<Host>> other = Host::Create(options);
  ASSERT_TRUE(other.ok());
  std::vector<LifecycleStage> stages;
  std::optional<ExitInfo> exit;
  (*other)->SetLifecycleHandler([&](const LifecycleEvent& event) {
    stages.push_back(event.stage);
    if (event.exit != nullptr) exit = *event.exit;
  });
  EXPECT_FALSE((*other)->Launch("renderer", nullptr).ok());
  EXPECT_THAT(stages,
              ElementsAre(LifecycleStage::kLaunching, LifecycleStage::kExited));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->kind, ExitKind::kLaunchFailed);
}

// A sandboxed launch (Linux) whose exec fails on the launcher thread, after
// Launch returned: the helper still ends once, as kLaunchFailed, saying why.
TEST_F(LifecycleTest, AnExecThatFailsAfterLaunchReturnedIsALaunchFailure) {
  if (!SandboxedLaunchAvailable()) {
    GTEST_SKIP() << "no sandboxed launch on this platform";
  }
  Host::Options options;
  options.executable = "/";  // Searchable, so it passes the early check.
  options.sandbox_helpers = true;
  options.forward_helper_output = false;
  absl::StatusOr<std::unique_ptr<Host>> other = Host::Create(options);
  ASSERT_TRUE(other.ok());
  Host* host = other->get();
  std::vector<LifecycleStage> stages;
  std::vector<ExitInfo> exits;
  std::optional<absl::Status> ready;
  host->SetLifecycleHandler(
      [&](const LifecycleEvent& event) { stages.push_back(event.stage); });
  host->SetExitHandler([&](const ExitInfo& exit) {
    exits.push_back(exit);
    host->Quit();
  });
  absl::StatusOr<HelperProcess*> launched = host->Launch(
      "renderer",
      [&](absl::StatusOr<HelperProcess*> h) { ready = h.status(); });
  if (!launched.ok()) {
    // Where the launch is synchronous, the failure is Launch's to report.
    EXPECT_THAT(stages, ElementsAre(LifecycleStage::kLaunching,
                                    LifecycleStage::kExited));
    return;
  }
  uv_timer_t deadline;
  uv_timer_init(host->loop(), &deadline);
  deadline.data = host;
  uv_timer_start(
      &deadline,
      [](uv_timer_t* timer) { static_cast<Host*>(timer->data)->Quit(); },
      10'000, 0);
  host->Run();
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  host->Post([host] { host->Quit(); });
  host->Run();  // The close callback: `deadline` is on this stack.
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].kind, ExitKind::kLaunchFailed) << exits[0].Describe();
  EXPECT_NE(exits[0].launch_status.message().find("sandboxed"),
            std::string::npos)
      << exits[0].launch_status;
  EXPECT_THAT(stages,
              ElementsAre(LifecycleStage::kLaunching, LifecycleStage::kExiting,
                          LifecycleStage::kExited));
  ASSERT_TRUE(ready.has_value());
  EXPECT_FALSE(ready->ok());
}

// The helper exits by itself with code 7 (not 3: on Windows that is abort()'s
// code) while the host kills or stops it. Whichever wins, the report is one of
// the two truths, never a clean exit, and the stream stays well-formed.
// Repeated to meet the race both ways.
TEST_F(LifecycleTest, ExitRacingAKillIsReportedTruthfully) {
  constexpr int kRounds = 25;
  std::map<ExitKind, int> outcomes;
  for (int round = 0; round < kRounds; ++round) {
    HelperProcess* helper = LaunchReady("utility");
    ASSERT_NE(helper, nullptr);
    const uint64_t id = helper->id();
    helper->InjectFault(ipc::FAULT_KIND_EXIT, 7, [](absl::Status) {});
    if (round % 2 == 0) {
      helper->Kill(HostAction::kKillRequested, "race");
    } else {
      helper->Stop(absl::Milliseconds(1), "race");
    }
    ASSERT_TRUE(RunUntil([&] { return Exited(id); })) << "round " << round;
    ExpectWellFormed(id);
    const ExitInfo& exit = *streams_[id].exit;
    ++outcomes[exit.kind];
    if (exit.kind == ExitKind::kErrorExit) {
      EXPECT_EQ(exit.exit_code, 7);
    } else if (round % 2 == 0) {
      EXPECT_EQ(exit.kind, ExitKind::kKilledByHost) << exit.Describe();
    } else {
      EXPECT_EQ(exit.kind, ExitKind::kStoppedByHost) << exit.Describe();
    }
    EXPECT_NE(exit.kind, ExitKind::kNormalExit);
  }
  int total = 0;
  for (const auto& [kind, count] : outcomes) total += count;
  EXPECT_EQ(total, kRounds);
}

}  // namespace
}  // namespace bulkhead
