// The supervisor restarting real helpers after real faults.
#include "host/supervisor.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

struct Event {
  std::string what;  // "started", "exited", "failed"
  uint64_t helper_id = 0;
  ExitKind kind = ExitKind::kNormalExit;
  absl::Time at;
  std::optional<absl::Duration> restart_in;
};

class SupervisorTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
  }

  void SetUp() override {
    HostFixture::SetUp();
    Supervisor::Events events;
    events.on_started = [this](HelperProcess& helper) {
      events_.push_back({"started", helper.id(), {}, absl::Now(), {}});
      last_started_ = &helper;
    };
    events.on_exited = [this](const ExitInfo& exit,
                              std::optional<absl::Duration> restart_in) {
      events_.push_back(
          {"exited", exit.helper_id, exit.kind, absl::Now(), restart_in});
    };
    events.on_role_failed = [this](const std::string&, const std::string& why) {
      events_.push_back({"failed", 0, {}, absl::Now(), {}});
      failure_ = why;
    };
    supervisor_ = std::make_unique<Supervisor>(*host_, std::move(events));
  }

  void TearDown() override {
    supervisor_.reset();
    HostFixture::TearDown();
  }

  int Count(const std::string& what) const {
    int n = 0;
    for (const Event& e : events_) n += e.what == what;
    return n;
  }

  // Crashes the most recently started helper with an exit code.
  void CrashLatest() {
    ASSERT_NE(last_started_, nullptr);
    last_started_->InjectFault(ipc::FAULT_KIND_EXIT, 9, [](absl::Status) {});
    last_started_ = nullptr;
  }

  RestartPolicy Fast() {
    RestartPolicy policy;
    policy.initial_backoff = absl::Milliseconds(50);
    policy.multiplier = 2;
    policy.jitter = 0;
    policy.max_restarts = 10;
    return policy;
  }

  std::unique_ptr<Supervisor> supervisor_;
  std::vector<Event> events_;
  HelperProcess* last_started_ = nullptr;
  std::string failure_;
};

TEST_F(SupervisorTest, ACrashedHelperIsReplacedWithANewId) {
  ASSERT_TRUE(supervisor_->Supervise("renderer", 1, Fast()).ok());
  ASSERT_TRUE(RunUntil([&] { return Count("started") == 1; }));
  const uint64_t first_id = events_[0].helper_id;
  CrashLatest();
  ASSERT_TRUE(RunUntil([&] { return Count("started") == 2; }));
  EXPECT_EQ(Count("exited"), 1);
  const Event& exited = events_[1];
  EXPECT_EQ(exited.kind, ExitKind::kErrorExit);
  ASSERT_TRUE(exited.restart_in.has_value());
  const Event& replacement = events_[2];
  EXPECT_NE(replacement.helper_id, first_id);
  EXPECT_EQ(supervisor_->restarts("renderer"), 1);

  // The replacement does real work.
  ASSERT_NE(last_started_, nullptr);
  roles::LayoutTextRequest request;
  request.set_text("born again");
  request.set_width(20);
  EXPECT_TRUE(
      CallAndWait<roles::LayoutTextResponse>(last_started_, request).ok());
}

TEST_F(SupervisorTest, BackoffSpacesTheRestarts) {
  ASSERT_TRUE(supervisor_->Supervise("gpu", 1, Fast()).ok());
  for (int round = 1; round <= 3; ++round) {
    ASSERT_TRUE(RunUntil([&] { return Count("started") == round; }));
    CrashLatest();
  }
  ASSERT_TRUE(RunUntil([&] { return Count("started") == 4; }));
  // Each replacement came no earlier than its scheduled backoff: 50, 100,
  // 200 ms.
  std::vector<absl::Duration> scheduled;
  absl::Time exited_at;
  for (const Event& e : events_) {
    if (e.what == "exited") {
      scheduled.push_back(*e.restart_in);
      exited_at = e.at;
    } else if (e.what == "started" && !scheduled.empty()) {
      EXPECT_GE(e.at - exited_at, scheduled.back());
    }
  }
  EXPECT_THAT(scheduled, ::testing::ElementsAre(absl::Milliseconds(50),
                                                absl::Milliseconds(100),
                                                absl::Milliseconds(200)));
}

TEST_F(SupervisorTest, IntensityLimitFailsTheRoleInsteadOfLooping) {
  RestartPolicy policy = Fast();
  policy.max_restarts = 2;
  policy.window = absl::Minutes(1);
  ASSERT_TRUE(supervisor_->Supervise("utility", 1, policy).ok());
  for (int round = 1; round <= 3; ++round) {
    ASSERT_TRUE(RunUntil([&] { return Count("started") == round; }));
    CrashLatest();
  }
  ASSERT_TRUE(RunUntil([&] { return Count("failed") == 1; }));
  EXPECT_TRUE(supervisor_->failed("utility"));
  EXPECT_THAT(failure_, ::testing::HasSubstr("2 restarts"));
  EXPECT_EQ(Count("started"), 3);
  EXPECT_TRUE(host_->helpers().empty());
}

TEST_F(SupervisorTest, NeverMeansNever) {
  RestartPolicy policy = Fast();
  policy.mode = RestartPolicy::Mode::kNever;
  ASSERT_TRUE(supervisor_->Supervise("network", 1, policy).ok());
  ASSERT_TRUE(RunUntil([&] { return Count("started") == 1; }));
  CrashLatest();
  ASSERT_TRUE(RunUntil([&] { return Count("exited") == 1; }));
  EXPECT_FALSE(events_.back().restart_in.has_value());
  EXPECT_TRUE(host_->helpers().empty());
  EXPECT_EQ(supervisor_->restarts("network"), 0);
}

TEST_F(SupervisorTest, UnknownRolesAndBadCountsAreRefused) {
  EXPECT_EQ(supervisor_->Supervise("plumber", 1, Fast()).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(supervisor_->Supervise("renderer", 0, Fast()).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(supervisor_->Supervise("renderer", 2, Fast()).ok());
  EXPECT_EQ(supervisor_->Supervise("renderer", 1, Fast()).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(RunUntil([&] { return Count("started") == 2; }));
}

TEST_F(SupervisorTest, ASupervisorDestroyedBeforeItsHelperIsReadyHearsNothing) {
  ASSERT_TRUE(supervisor_->Supervise("renderer", 1, Fast()).ok());
  // The helper is the host's and lives on; its Ready must not reach the
  // destroyed supervisor's events.
  supervisor_.reset();
  bool ready = false;
  host_->SetHelperStartedHandler([&](HelperProcess&) { ready = true; });
  ASSERT_TRUE(RunUntil([&] { return ready; }));
  EXPECT_EQ(Count("started"), 0);
  EXPECT_EQ(host_->helpers().size(), 1u);
}

TEST_F(SupervisorTest, ASupervisorMayBeDestroyedFromItsOwnExitEvent) {
  Supervisor::Events events;
  bool exited = false;
  events.on_started = [this](HelperProcess& helper) {
    last_started_ = &helper;
  };
  events.on_exited = [&](const ExitInfo&, std::optional<absl::Duration> in) {
    EXPECT_TRUE(in.has_value()) << "a restart was about to be scheduled";
    exited = true;
    supervisor_.reset();
  };
  // The fixture's first: destroying it gives up the host's exit handler.
  supervisor_.reset();
  supervisor_ = std::make_unique<Supervisor>(*host_, std::move(events));
  ASSERT_TRUE(supervisor_->Supervise("renderer", 1, Fast()).ok());
  ASSERT_TRUE(RunUntil([&] { return last_started_ != nullptr; }));
  CrashLatest();
  ASSERT_TRUE(RunUntil([&] { return exited; }));
  // Past the 50 ms backoff: the restart died with its supervisor.
  int launched = 0;
  host_->SetLifecycleHandler([&](const LifecycleEvent& event) {
    launched += event.stage == LifecycleStage::kLaunching;
  });
  EXPECT_FALSE(RunUntil([&] { return launched > 0; }, absl::Milliseconds(300)));
  EXPECT_TRUE(host_->helpers().empty());
}

// A launch the host refuses at once is reported after Supervise returned,
// never inside it (no event runs inside the call that caused it); the
// supervisor may be destroyed from that event, and then reports nothing more.
TEST_F(SupervisorTest,
       ARefusedLaunchIsReportedAfterSuperviseReturnedAndMayDestroyIt) {
  Supervisor::Events events;
  int exits = 0;
  events.on_exited = [&](const ExitInfo& exit, std::optional<absl::Duration>) {
    EXPECT_EQ(exit.kind, ExitKind::kLaunchFailed);
    ++exits;
    supervisor_.reset();
  };
  supervisor_.reset();
  supervisor_ = std::make_unique<Supervisor>(*host_, std::move(events));
  // A host shutting down refuses every launch.
  bool shut_down = false;
  host_->Shutdown(absl::Seconds(1), [&] { shut_down = true; });
  Supervisor* const supervisor = supervisor_.get();
  EXPECT_TRUE(supervisor->Supervise("renderer", 3, Fast()).ok());
  EXPECT_EQ(exits, 0) << "reported inside Supervise";
  EXPECT_NE(supervisor_, nullptr);
  ASSERT_TRUE(RunUntil([&] { return shut_down && supervisor_ == nullptr; }));
  EXPECT_EQ(exits, 1);
}

// Supervisor is the loop thread's: debug builds abort, naming it, when another
// thread calls in.
TEST_F(SupervisorTest, AMemberCalledOnAnotherThreadAborts) {
#if !BULKHEAD_DCHECK_IS_ON
  GTEST_SKIP() << "the thread check is compiled out (NDEBUG)";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // It starts a thread.
  EXPECT_DEATH(
      {
        EXPECT_FALSE(supervisor_->failed("renderer"));
        std::thread([&] { (void)supervisor_->Spawn("renderer"); }).join();
      },
      "Supervisor::Spawn called on thread .*, but the Supervisor belongs to "
      "its loop's thread ");
#endif
}

}  // namespace
}  // namespace bulkhead
