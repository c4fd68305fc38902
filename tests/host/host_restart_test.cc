// Host::Options::default_restart_policy: real helpers that crash are replaced
// by the host itself, with no Supervisor wired by the app, and a role that
// keeps crashing fails instead of looping. Every wait is on an event, bounded
// by a deadline.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "host/supervisor.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

class HostRestartTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
    RestartPolicy policy;
    policy.initial_backoff = absl::Milliseconds(20);
    policy.jitter = 0;
    policy.max_restarts = 2;
    policy.window = absl::Minutes(1);
    options.default_restart_policy = policy;
    RestartPolicy never;
    never.mode = RestartPolicy::Mode::kNever;
    options.role_options["network"].restart_policy = never;
  }

  void SetUp() override {
    HostFixture::SetUp();
    host_->SetHelperStartedHandler([this](HelperProcess& helper) {
      started_.push_back(helper.id());
      latest_ = &helper;
    });
    host_->SetRoleFailedHandler(
        [this](const std::string& role, const std::string& why) {
          failures_.push_back(role + ": " + why);
        });
  }

  // Makes the most recently started helper exit with code 9.
  void FailLatest() {
    ASSERT_NE(latest_, nullptr);
    latest_->InjectFault(ipc::FAULT_KIND_EXIT, 9, [](absl::Status) {});
    latest_ = nullptr;
  }

  std::vector<uint64_t> started_;  // Helper ids, in the order they were ready.
  HelperProcess* latest_ = nullptr;
  std::vector<std::string> failures_;
};

TEST_F(HostRestartTest, ACrashedHelperIsReplacedWithoutASupervisor) {
  HelperProcess* first = LaunchReady("renderer");
  ASSERT_NE(first, nullptr);
  const uint64_t first_id = first->id();
  ASSERT_EQ(started_.size(), 1u) << "the started event covers launches too";

  first->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
  ASSERT_TRUE(RunUntil([&] { return started_.size() == 2; }))
      << "no replacement became ready";
  ASSERT_EQ(exits_.size(), 1u);
  EXPECT_EQ(exits_[0].helper_id, first_id);
  EXPECT_EQ(exits_[0].kind, ExitKind::kCrashed) << exits_[0].Describe();
  EXPECT_NE(started_[1], first_id);
  EXPECT_EQ(host_->restarts("renderer"), 1);
  EXPECT_FALSE(host_->role_failed("renderer"));
  ASSERT_EQ(host_->helpers().size(), 1u);

  // The replacement does real work.
  ASSERT_NE(latest_, nullptr);
  roles::LayoutTextRequest request;
  request.set_text("born again");
  request.set_width(20);
  EXPECT_TRUE(CallAndWait<roles::LayoutTextResponse>(latest_, request).ok());
}

TEST_F(HostRestartTest, PastTheIntensityLimitTheRoleFails) {
  ASSERT_NE(LaunchReady("utility"), nullptr);
  FailLatest();
  for (int round = 2; round <= 3; ++round) {
    ASSERT_TRUE(RunUntil([&] { return started_.size() == size_t(round); }));
    FailLatest();
  }
  ASSERT_TRUE(RunUntil([&] { return !failures_.empty(); }));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_THAT(failures_[0], HasSubstr("utility: 2 restarts"));
  EXPECT_TRUE(host_->role_failed("utility"));
  EXPECT_EQ(host_->restarts("utility"), 2);
  EXPECT_EQ(started_.size(), 3u);
  EXPECT_EQ(exits_.size(), 3u);
  EXPECT_TRUE(host_->helpers().empty());
}

TEST_F(HostRestartTest, TheRolesPolicyAndTheLaunchsOwnWin) {
  // "network" has a policy of its own: never.
  HelperProcess* network = LaunchReady("network");
  ASSERT_NE(network, nullptr);
  const uint64_t network_id = network->id();
  FailLatest();
  ASSERT_NE(WaitForExit(network_id), nullptr);

  // This one launch opts out of restarts.
  bool ready = false;
  Host::LaunchOverrides overrides;
  overrides.restart = false;
  absl::StatusOr<HelperProcess*> gpu = host_->Launch(
      "gpu", overrides, [&](absl::StatusOr<HelperProcess*>) { ready = true; });
  ASSERT_TRUE(gpu.ok()) << gpu.status();
  const uint64_t gpu_id = (*gpu)->id();
  ASSERT_TRUE(RunUntil([&] { return ready; }));
  FailLatest();
  ASSERT_NE(WaitForExit(gpu_id), nullptr);

  // The decision is taken as the exit is reported: nothing was scheduled.
  EXPECT_EQ(host_->restarts("network"), 0);
  EXPECT_EQ(host_->restarts("gpu"), 0);
  EXPECT_TRUE(host_->helpers().empty());
  EXPECT_TRUE(failures_.empty());
}

TEST_F(HostRestartTest, AnExitHandlerThatShutsDownTheHostPreventsTheRestart) {
  HelperProcess* renderer = LaunchReady("renderer");
  ASSERT_NE(renderer, nullptr);
  bool done = false;
  host_->SetExitHandler([&](const ExitInfo& exit) {
    exits_.push_back(exit);
    host_->Shutdown(absl::Seconds(1), [&] { done = true; });
  });
  FailLatest();
  ASSERT_TRUE(RunUntil([&] { return done; }));
  ASSERT_EQ(exits_.size(), 1u);
  // The restart is decided after the exit handler: by then the host is
  // shutting down, so none is scheduled or counted.
  EXPECT_EQ(host_->restarts("renderer"), 0);
  EXPECT_FALSE(host_->role_failed("renderer"));
  EXPECT_EQ(started_.size(), 1u);
  EXPECT_TRUE(host_->helpers().empty());
}

TEST_F(HostRestartTest, ASupervisorsHelpersAreNotRestartedTwice) {
  int supervisor_started = 0;
  Supervisor::Events events;
  events.on_started = [&](HelperProcess& helper) {
    ++supervisor_started;
    latest_ = &helper;
  };
  Supervisor supervisor(*host_, std::move(events));
  RestartPolicy policy;
  policy.initial_backoff = absl::Milliseconds(20);
  ASSERT_TRUE(supervisor.Supervise("gpu", 1, policy).ok());
  ASSERT_TRUE(RunUntil([&] { return supervisor_started == 1; }));
  FailLatest();
  ASSERT_TRUE(RunUntil([&] { return supervisor_started == 2; }));
  EXPECT_EQ(supervisor.restarts("gpu"), 1);
  EXPECT_EQ(host_->restarts("gpu"), 0);
  EXPECT_EQ(host_->helpers().size(), 1u);
}

}  // namespace
}  // namespace bulkhead
