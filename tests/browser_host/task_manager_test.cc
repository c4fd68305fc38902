#include "browser_host/task_manager.h"

#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace bulkhead
