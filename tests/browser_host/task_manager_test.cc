#include "browser_host/task_manager.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

HelperSample Sample(uint64_t id, absl::Duration cpu, uint64_t in,
                    uint64_t out) {
  HelperSample sample;
  sample.id = id;
  sample.name = "renderer-" + std::to_string(id);
  sample.role = "renderer";
  sample.state = "ready";
  sample.pid = 100 + static_cast<int64_t>(id);
  sample.cpu_time = cpu;
  sample.frames_in = in;
  sample.frames_out = out;
  sample.sandboxed = true;
  return sample;
}

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(TaskManagerTest, FirstSampleHasNoRates) {
  TaskManager manager;
  std::vector<HelperRow> rows =
      manager.Rows({Sample(1, absl::Seconds(1), 10, 20)}, {}, kStart);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "renderer-1");
  EXPECT_EQ(rows[0].pid, 101);
  EXPECT_EQ(rows[0].sandbox, "on");
  EXPECT_FALSE(rows[0].cpu_percent.has_value());
  EXPECT_FALSE(rows[0].messages_in_per_second.has_value());
  EXPECT_EQ(rows[0].last_exit, "");
}

TEST(TaskManagerTest, TheSandboxColumnShowsTheNetworkInForce) {
  TaskManager manager;
  HelperSample none = Sample(1, absl::Seconds(1), 0, 0);
  none.network = "none";
  HelperSample host = Sample(2, absl::Seconds(1), 0, 0);
  host.network = "host";
  HelperSample unsandboxed = Sample(3, absl::Seconds(1), 0, 0);
  unsandboxed.network = "host";
  unsandboxed.sandboxed = false;
  std::vector<HelperRow> rows =
      manager.Rows({none, host, unsandboxed}, {}, kStart);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].sandbox, "on");
  EXPECT_EQ(rows[1].sandbox, "on+net");
  EXPECT_EQ(rows[2].sandbox, "off");
}

TEST(TaskManagerTest, RatesAreTheChangeOverThePeriod) {
  TaskManager manager;
  manager.Rows({Sample(1, absl::Seconds(1), 10, 20)}, {}, kStart);
  std::vector<HelperRow> rows =
      manager.Rows({Sample(1, absl::Milliseconds(1500), 14, 30)}, {},
                   kStart + absl::Seconds(2));
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].cpu_percent.has_value());
  EXPECT_DOUBLE_EQ(*rows[0].cpu_percent, 25.0);
  EXPECT_DOUBLE_EQ(*rows[0].messages_in_per_second, 2.0);
  EXPECT_DOUBLE_EQ(*rows[0].messages_out_per_second, 5.0);
}

TEST(TaskManagerTest, AnOverduePingMakesTheRowUnresponsive) {
  TaskManager manager;
  HelperSample hung = Sample(1, absl::Seconds(1), 10, 20);
  hung.round_trip = absl::Microseconds(80);  // Its last good one.
  hung.overdue_ping = absl::Milliseconds(3200);
  HelperSample live = Sample(2, absl::Seconds(1), 10, 20);
  live.round_trip = absl::Microseconds(90);
  std::vector<HelperRow> rows = manager.Rows({hung, live}, {}, kStart);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, "unresponsive");
  EXPECT_EQ(rows[0].overdue_ping, absl::Milliseconds(3200));
  EXPECT_EQ(rows[1].state, "ready");
  EXPECT_FALSE(rows[1].overdue_ping.has_value());
}

TEST(TaskManagerTest, TooShortAPeriodKeepsTheLastRates) {
  TaskManager manager;
  manager.Rows({Sample(1, absl::Seconds(1), 10, 20)}, {}, kStart);
  // 10 ms later: too short to measure, and no earlier rates.
  std::vector<HelperRow> rows =
      manager.Rows({Sample(1, absl::Seconds(1), 100, 200)}, {},
                   kStart + absl::Milliseconds(10));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].messages_in_per_second.has_value());
  // Measured from the first sample.
  rows = manager.Rows({Sample(1, absl::Seconds(1), 110, 220)}, {},
                      kStart + absl::Seconds(1));
  EXPECT_DOUBLE_EQ(*rows[0].messages_in_per_second, 100.0);
  EXPECT_DOUBLE_EQ(*rows[0].messages_out_per_second, 200.0);
  // 10 ms after that: the same rates again.
  rows = manager.Rows({Sample(1, absl::Seconds(1), 500, 500)}, {},
                      kStart + absl::Milliseconds(1010));
  EXPECT_DOUBLE_EQ(*rows[0].messages_in_per_second, 100.0);
  EXPECT_DOUBLE_EQ(*rows[0].cpu_percent, 0.0);
}

TEST(TaskManagerTest, ExitIsRememberedPerRoleAndRolesWithoutHelpersShow) {
  TaskManager manager;
  manager.Rows({Sample(1, absl::Seconds(1), 10, 20)}, {}, kStart);
  ExitInfo exit;
  exit.kind = ExitKind::kCrashed;
  exit.signal = 11;
  exit.role = "renderer";
  exit.helper_id = 1;
  manager.OnExit(exit);
  // No helper of the role now: a row for the role, waiting for its restart.
  std::vector<HelperRow> rows = manager.Rows(
      {},
      {{.role = "renderer", .restarts = 1, .restart_pending = true},
       {.role = "gpu", .failed = true}},
      kStart + absl::Seconds(1));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, "restarting");
  EXPECT_EQ(rows[0].restarts, 1);
  EXPECT_EQ(rows[0].pid, 0);
  EXPECT_EQ(rows[0].last_exit, exit.Describe());
  EXPECT_EQ(rows[1].state, "failed");
  // The replacement has a new id: no rates in its first sample, but the
  // role's last exit.
  rows = manager.Rows({Sample(5, absl::Seconds(0), 1, 1)},
                      {{.role = "renderer", .restarts = 1}},
                      kStart + absl::Seconds(2));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "renderer-5");
  EXPECT_EQ(rows[0].restarts, 1);
  EXPECT_FALSE(rows[0].cpu_percent.has_value());
  EXPECT_EQ(rows[0].last_exit, exit.Describe());
}

// A real helper that stops answering after Ready ("deaf"): its row must
// not keep saying `ready` with its last good round trip until the heartbeat
// kills it, but show the overdue Ping.
class UnresponsiveHelperTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
    options.heartbeat.interval = absl::Milliseconds(50);
    // Far off: the helper must still be there, unconvicted, when sampled.
    options.heartbeat.timeout = absl::Seconds(60);
  }
};

TEST_F(UnresponsiveHelperTest, ItsRowShowsTheOverduePing) {
  HelperProcess* deaf = LaunchReady("deaf");
  ASSERT_NE(deaf, nullptr);
  TaskManager manager;
  // Ten heartbeat intervals: the first Ping has waited nine past its own.
  const absl::Time until = absl::Now() + absl::Milliseconds(500);
  RunUntil([&] { return absl::Now() >= until; });
  ASSERT_EQ(deaf->state(), HelperProcess::State::kReady);
  std::vector<HelperRow> rows =
      manager.Rows({SampleHelper(*deaf)}, {}, absl::Now());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, "unresponsive");
  const std::string table = FormatStatusTable(rows);
  EXPECT_NE(table.find("ping overdue"), std::string::npos) << table;

  // A helper that answers stays `ready`.
  HelperProcess* live = LaunchReady("renderer");
  ASSERT_NE(live, nullptr);
  const absl::Time later = absl::Now() + absl::Milliseconds(200);
  RunUntil([&] { return absl::Now() >= later; });
  rows = manager.Rows({SampleHelper(*live)}, {}, absl::Now());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, "ready");
  EXPECT_EQ(FormatStatusTable(rows).find("ping overdue"), std::string::npos);
}

}  // namespace
}  // namespace bulkhead
