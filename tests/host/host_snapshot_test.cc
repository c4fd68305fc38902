// TakeHostSnapshot on real helpers: counters that move with calls, a helper
// that crashed and its role's last exit, restarts, and the snapshot's
// OpenMetrics text.
#include "host/host_snapshot.h"

#include <csignal>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/process_info.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/openmetrics.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/openmetrics_check.h"

namespace bulkhead {
namespace {

using ::testing::Contains;
using ::testing::Pair;

const HelperSnapshot* FindHelper(const HostSnapshot& snapshot, uint64_t id) {
  for (const HelperSnapshot& helper : snapshot.helpers) {
    if (helper.id == id) return &helper;
  }
  return nullptr;
}

const RoleSnapshot* FindRole(const HostSnapshot& snapshot,
                             const std::string& role) {
  for (const RoleSnapshot& entry : snapshot.roles) {
    if (entry.role == role) return &entry;
  }
  return nullptr;
}

// The samples named `name` whose labels include `labels`.
std::vector<testing::OpenMetricsSample> Samples(
    const std::vector<testing::OpenMetricsSample>& all, const std::string& name,
    const std::map<std::string, std::string>& labels) {
  std::vector<testing::OpenMetricsSample> found;
  for (const testing::OpenMetricsSample& sample : all) {
    if (sample.name != name) continue;
    bool match = true;
    for (const auto& [label, value] : labels) {
      auto it = sample.labels.find(label);
      if (it == sample.labels.end() || it->second != value) match = false;
    }
    if (match) found.push_back(sample);
  }
  return found;
}

class HostSnapshotTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
  }

  void LayOut(HelperProcess* helper, const std::string& text) {
    roles::LayoutTextRequest request;
    request.set_text(text);
    request.set_width(40);
    absl::StatusOr<roles::LayoutTextResponse> response =
        CallAndWait<roles::LayoutTextResponse>(helper, request);
    ASSERT_TRUE(response.ok()) << response.status();
  }
};

TEST_F(HostSnapshotTest, TwoHelpersOneCrashedCountersMoveAndTheLastExitShows) {
  HelperProcess* renderer = LaunchReady("renderer");
  HelperProcess* utility = LaunchReady("utility");
  ASSERT_NE(renderer, nullptr);
  ASSERT_NE(utility, nullptr);
  const uint64_t renderer_id = renderer->id();
  const uint64_t utility_id = utility->id();
  const int64_t utility_pid = utility->pid();

  const HostSnapshot before = TakeHostSnapshot(*host_);
  ASSERT_EQ(before.helpers.size(), 2u);
  const HelperSnapshot* first = FindHelper(before, renderer_id);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->role, "renderer");
  EXPECT_EQ(first->name, renderer->name());
  EXPECT_EQ(first->pid, renderer->pid());
  EXPECT_EQ(first->state, HelperProcess::State::kReady);
  EXPECT_EQ(first->sandboxed, renderer->sandboxed());
  if (absl::IsUnimplemented(GetProcessUsage(renderer->pid()).status())) {
    // No figure on this platform: none is made up.
    EXPECT_FALSE(first->cpu_time.has_value());
    EXPECT_FALSE(first->resident_bytes.has_value());
  } else {
    ASSERT_TRUE(first->cpu_time.has_value());
    ASSERT_TRUE(first->resident_bytes.has_value());
    EXPECT_GT(*first->resident_bytes, 0u);
  }
  EXPECT_EQ(first->calls_started, 0u);
  // The handshake went both ways.
  EXPECT_GT(first->messages_received, 0u);
  EXPECT_GT(first->messages_sent, 0u);

  for (int i = 0; i < 3; ++i) LayOut(renderer, "count me in");
  const HostSnapshot after_calls = TakeHostSnapshot(*host_);
  const HelperSnapshot* moved = FindHelper(after_calls, renderer_id);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->calls_started, 3u);
  EXPECT_GE(moved->messages_sent, first->messages_sent + 3);
  EXPECT_GE(moved->messages_received, first->messages_received + 3);
  EXPECT_GT(moved->bytes_sent, first->bytes_sent);
  EXPECT_GT(moved->bytes_received, first->bytes_received);
  // The other helper saw none of them.
  EXPECT_EQ(FindHelper(after_calls, utility_id)->calls_started, 0u);

  utility->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
  const ExitInfo* exit = WaitForExit(utility_id);
  ASSERT_NE(exit, nullptr);
  ASSERT_EQ(exit->kind, ExitKind::kCrashed);

  const HostSnapshot after_crash = TakeHostSnapshot(*host_);
  ASSERT_EQ(after_crash.helpers.size(), 1u);
  EXPECT_EQ(after_crash.helpers[0].id, renderer_id);
  const RoleSnapshot* crashed = FindRole(after_crash, "utility");
  ASSERT_NE(crashed, nullptr);
  EXPECT_EQ(crashed->helpers, 0);
  EXPECT_EQ(crashed->restarts, 0);
  EXPECT_FALSE(crashed->failed);
  EXPECT_THAT(crashed->exits, Contains(Pair(ExitKind::kCrashed, 1u)));
  EXPECT_EQ(crashed->exits.size(), 1u);
  ASSERT_TRUE(crashed->last_exit.has_value());
  EXPECT_EQ(crashed->last_exit->kind, ExitKind::kCrashed);
  EXPECT_EQ(crashed->last_exit->signal, SIGSEGV);
  EXPECT_EQ(crashed->last_exit->helper_id, utility_id);
  EXPECT_EQ(crashed->last_exit->pid, utility_pid);
  const RoleSnapshot* alive = FindRole(after_crash, "renderer");
  ASSERT_NE(alive, nullptr);
  EXPECT_EQ(alive->helpers, 1);
  EXPECT_FALSE(alive->last_exit.has_value());
  EXPECT_TRUE(alive->exits.empty());

  // The same, as OpenMetrics text.
  const std::string text = WriteOpenMetrics(after_crash);
  absl::StatusOr<std::vector<testing::OpenMetricsSample>> samples =
      testing::CheckOpenMetrics(text);
  ASSERT_TRUE(samples.ok()) << samples.status() << "\n" << text;
  const std::string renderer_id_text = std::to_string(renderer_id);
  std::vector<testing::OpenMetricsSample> calls =
      Samples(*samples, "bulkhead_helper_calls_total",
              {{"role", "renderer"}, {"helper_id", renderer_id_text}});
  ASSERT_EQ(calls.size(), 1u) << text;
  EXPECT_EQ(calls[0].value, 3);
  std::vector<testing::OpenMetricsSample> last =
      Samples(*samples, "bulkhead_role_last_exit_info",
              {{"role", "utility"}, {"kind", "crashed"}});
  ASSERT_EQ(last.size(), 1u) << text;
  EXPECT_EQ(last[0].labels.at("description"), exit->Describe());
  EXPECT_EQ(last[0].labels.at("pid"), std::to_string(utility_pid));
  EXPECT_EQ(Samples(*samples, "bulkhead_role_exits_total",
                    {{"role", "utility"}, {"kind", "crashed"}})
                .size(),
            1u);
  EXPECT_EQ(Samples(*samples, "bulkhead_helper_state",
                    {{"helper_id", renderer_id_text},
                     {"bulkhead_helper_state", "ready"}})[0]
                .value,
            1);
}

TEST_F(HostSnapshotTest, WithoutProcessUsageTheOsIsNotAsked) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  const HostSnapshot snapshot =
      TakeHostSnapshot(*host_, {.process_usage = false});
  ASSERT_EQ(snapshot.helpers.size(), 1u);
  EXPECT_FALSE(snapshot.helpers[0].cpu_time.has_value());
  EXPECT_FALSE(snapshot.helpers[0].resident_bytes.has_value());
  // And the text leaves them out rather than writing 0.
  const std::string text = WriteOpenMetrics(snapshot);
  EXPECT_EQ(text.find("bulkhead_helper_cpu_seconds"), std::string::npos);
  EXPECT_EQ(text.find("bulkhead_helper_resident_memory_bytes"),
            std::string::npos);
  EXPECT_TRUE(testing::CheckOpenMetrics(text).ok());
}

// The cost the header states, printed; the bound only catches a snapshot
// that waits on something.
TEST_F(HostSnapshotTest, ATakesFewMicrosecondsAHelper) {
  ASSERT_NE(LaunchReady("renderer"), nullptr);
  ASSERT_NE(LaunchReady("utility"), nullptr);
  constexpr int kRounds = 200;
  const absl::Time start = absl::Now();
  size_t seen = 0;
  for (int i = 0; i < kRounds; ++i) {
    seen += TakeHostSnapshot(*host_).helpers.size();
  }
  const absl::Duration per_helper = (absl::Now() - start) / (kRounds * 2);
  EXPECT_EQ(seen, 2u * kRounds);
  std::cout << "TakeHostSnapshot: " << per_helper << " a helper\n";
  EXPECT_LT(per_helper, absl::Milliseconds(2));
}

class HostSnapshotRestartTest : public HostSnapshotTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    HostSnapshotTest::ModifyOptions(options);
    RestartPolicy policy;
    policy.initial_backoff = absl::Milliseconds(10);
    policy.jitter = 0;
    options.role_options["utility"].restart_policy = policy;
  }
};

TEST_F(HostSnapshotRestartTest, ARestartedRoleShowsItsRestartsAndLastExit) {
  HelperProcess* utility = LaunchReady("utility");
  ASSERT_NE(utility, nullptr);
  const uint64_t first_id = utility->id();
  HelperProcess* replacement = nullptr;
  host_->SetHelperStartedHandler(
      [&](HelperProcess& helper) { replacement = &helper; });
  utility->Kill(HostAction::kKillRequested, "snapshot test");
  ASSERT_TRUE(RunUntil([&] { return replacement != nullptr; }));

  const HostSnapshot snapshot = TakeHostSnapshot(*host_);
  const RoleSnapshot* role = FindRole(snapshot, "utility");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->helpers, 1);
  EXPECT_EQ(role->restarts, 1);
  ASSERT_TRUE(role->last_exit.has_value());
  EXPECT_EQ(role->last_exit->kind, ExitKind::kKilledByHost);
  EXPECT_EQ(role->last_exit->helper_id, first_id);
  ASSERT_EQ(snapshot.helpers.size(), 1u);
  EXPECT_NE(snapshot.helpers[0].id, first_id);

  absl::StatusOr<std::vector<testing::OpenMetricsSample>> samples =
      testing::CheckOpenMetrics(WriteOpenMetrics(snapshot));
  ASSERT_TRUE(samples.ok()) << samples.status();
  std::vector<testing::OpenMetricsSample> restarts =
      Samples(*samples, "bulkhead_role_restarts_total", {{"role", "utility"}});
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_EQ(restarts[0].value, 1);
}

}  // namespace
}  // namespace bulkhead
