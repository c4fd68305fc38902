// WriteOpenMetrics against the format's rules: exact text for a fixed
// snapshot, hostile label values, and the line checker itself
// (tests/support/openmetrics_check.h), which must refuse what breaks a rule.
#include "host/openmetrics.h"

#include <csignal>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/openmetrics_check.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

using testing::CheckOpenMetrics;
using ::testing::HasSubstr;

HostSnapshot FixedSnapshot() {
  HostSnapshot snapshot;
  HelperSnapshot helper;
  helper.id = 1;
  helper.name = "renderer-1";
  helper.role = "renderer";
  helper.pid = 4242;
  helper.state = HelperProcess::State::kReady;
  helper.sandboxed = true;
  helper.uptime = absl::Milliseconds(2500);
  helper.cpu_time = absl::Milliseconds(250);
  helper.resident_bytes = 1048576;
  helper.calls_started = 3;
  helper.calls_pending = 1;
  helper.messages_sent = 10;
  helper.messages_received = 9;
  helper.bytes_sent = 1000;
  helper.bytes_received = 900;
  helper.round_trip = absl::Microseconds(250);
  snapshot.helpers.push_back(helper);

  RoleSnapshot role;
  role.role = "renderer";
  role.helpers = 1;
  role.restarts = 2;
  role.exits = {{ExitKind::kCrashed, 2}};
  ExitInfo exit;
  exit.kind = ExitKind::kCrashed;
  exit.signal = SIGSEGV;
  exit.helper_id = 7;
  exit.pid = 4000;
  exit.role = "renderer";
  role.last_exit = exit;
  snapshot.roles.push_back(role);

  PoolSnapshot pool;
  pool.name = "decode";
  pool.role = "renderer";
  pool.helpers = 2;
  pool.queue_depth = 4;
  pool.busy = 2;
  pool.done = 10;
  pool.failed = {{"deadline", 2}, {"crashed", 1}};
  pool.latency_quantiles = {{0.5, absl::Milliseconds(10)},
                            {0.99, absl::Milliseconds(1500)}};
  pool.latency_count = 13;
  pool.latency_sum = absl::Milliseconds(2250);
  snapshot.pools.push_back(pool);
  return snapshot;
}

constexpr char kFixedText[] =
    R"text(# TYPE bulkhead_helper_state stateset
# HELP bulkhead_helper_state The helper's lifecycle state.
bulkhead_helper_state{role="renderer",helper_id="1",pid="4242",bulkhead_helper_state="starting"} 0
bulkhead_helper_state{role="renderer",helper_id="1",pid="4242",bulkhead_helper_state="ready"} 1
bulkhead_helper_state{role="renderer",helper_id="1",pid="4242",bulkhead_helper_state="stopping"} 0
bulkhead_helper_state{role="renderer",helper_id="1",pid="4242",bulkhead_helper_state="exited"} 0
# TYPE bulkhead_helper_sandboxed gauge
# HELP bulkhead_helper_sandboxed 1 when the helper was launched inside the platform's sandbox.
bulkhead_helper_sandboxed{role="renderer",helper_id="1",pid="4242"} 1
# TYPE bulkhead_helper_uptime_seconds gauge
# UNIT bulkhead_helper_uptime_seconds seconds
# HELP bulkhead_helper_uptime_seconds Time since the helper was launched.
bulkhead_helper_uptime_seconds{role="renderer",helper_id="1",pid="4242"} 2.5
# TYPE bulkhead_helper_cpu_seconds counter
# UNIT bulkhead_helper_cpu_seconds seconds
# HELP bulkhead_helper_cpu_seconds CPU time (user and system) of the helper's process, as the OS reports it.
bulkhead_helper_cpu_seconds_total{role="renderer",helper_id="1",pid="4242"} 0.25
# TYPE bulkhead_helper_resident_memory_bytes gauge
# UNIT bulkhead_helper_resident_memory_bytes bytes
# HELP bulkhead_helper_resident_memory_bytes Resident memory of the helper's process, as the OS reports it.
bulkhead_helper_resident_memory_bytes{role="renderer",helper_id="1",pid="4242"} 1048576
# TYPE bulkhead_helper_calls counter
# HELP bulkhead_helper_calls Calls the app made to the helper.
bulkhead_helper_calls_total{role="renderer",helper_id="1",pid="4242"} 3
# TYPE bulkhead_helper_calls_pending gauge
# HELP bulkhead_helper_calls_pending Calls to the helper waiting for an answer, bulkhead's own included.
bulkhead_helper_calls_pending{role="renderer",helper_id="1",pid="4242"} 1
# TYPE bulkhead_helper_messages_sent counter
# HELP bulkhead_helper_messages_sent Frames sent to the helper.
bulkhead_helper_messages_sent_total{role="renderer",helper_id="1",pid="4242"} 10
# TYPE bulkhead_helper_messages_received counter
# HELP bulkhead_helper_messages_received Frames received from the helper.
bulkhead_helper_messages_received_total{role="renderer",helper_id="1",pid="4242"} 9
# TYPE bulkhead_helper_sent_bytes counter
# UNIT bulkhead_helper_sent_bytes bytes
# HELP bulkhead_helper_sent_bytes Bytes of frames sent to the helper, headers included.
bulkhead_helper_sent_bytes_total{role="renderer",helper_id="1",pid="4242"} 1000
# TYPE bulkhead_helper_received_bytes counter
# UNIT bulkhead_helper_received_bytes bytes
# HELP bulkhead_helper_received_bytes Bytes of frames received from the helper, headers included.
bulkhead_helper_received_bytes_total{role="renderer",helper_id="1",pid="4242"} 900
# TYPE bulkhead_helper_output_lines_dropped counter
# HELP bulkhead_helper_output_lines_dropped Lines of the helper's output not copied to the host's, which did not keep up.
bulkhead_helper_output_lines_dropped_total{role="renderer",helper_id="1",pid="4242"} 0
# TYPE bulkhead_helper_round_trip_seconds gauge
# UNIT bulkhead_helper_round_trip_seconds seconds
# HELP bulkhead_helper_round_trip_seconds Round trip of the last answered Ping.
bulkhead_helper_round_trip_seconds{role="renderer",helper_id="1",pid="4242"} 0.00025
# TYPE bulkhead_helper_ping_overdue_seconds gauge
# UNIT bulkhead_helper_ping_overdue_seconds seconds
# HELP bulkhead_helper_ping_overdue_seconds How long the heartbeat's Ping has waited past its interval; 0 when the helper is responsive.
bulkhead_helper_ping_overdue_seconds{role="renderer",helper_id="1",pid="4242"} 0
# TYPE bulkhead_role_helpers gauge
# HELP bulkhead_role_helpers Helpers of the role not yet reaped.
bulkhead_role_helpers{role="renderer"} 1
# TYPE bulkhead_role_restarts counter
# HELP bulkhead_role_restarts Restarts of the role's helpers so far.
bulkhead_role_restarts_total{role="renderer"} 2
# TYPE bulkhead_role_failed gauge
# HELP bulkhead_role_failed 1 when the role went past its restart policy's intensity limit.
bulkhead_role_failed{role="renderer"} 0
# TYPE bulkhead_role_exits counter
# HELP bulkhead_role_exits Helpers of the role that ended, by how they ended.
bulkhead_role_exits_total{role="renderer",kind="crashed"} 2
# TYPE bulkhead_role_last_exit info
# HELP bulkhead_role_last_exit How the role's last helper to end ended.
bulkhead_role_last_exit_info{role="renderer",kind="crashed",description="crashed (signal 11 SIGSEGV)",helper_id="7",pid="4000"} 1
# TYPE bulkhead_pool_helpers gauge
# HELP bulkhead_pool_helpers The pool's helpers.
bulkhead_pool_helpers{pool="decode",role="renderer"} 2
# TYPE bulkhead_pool_queue_depth gauge
# HELP bulkhead_pool_queue_depth Tasks waiting for a helper.
bulkhead_pool_queue_depth{pool="decode",role="renderer"} 4
# TYPE bulkhead_pool_busy gauge
# HELP bulkhead_pool_busy Tasks on a helper now.
bulkhead_pool_busy{pool="decode",role="renderer"} 2
# TYPE bulkhead_pool_tasks_done counter
# HELP bulkhead_pool_tasks_done Tasks that ended with a reply.
bulkhead_pool_tasks_done_total{pool="decode",role="renderer"} 10
# TYPE bulkhead_pool_tasks_failed counter
# HELP bulkhead_pool_tasks_failed Tasks that ended without a reply, by reason.
bulkhead_pool_tasks_failed_total{pool="decode",role="renderer",reason="crashed"} 1
bulkhead_pool_tasks_failed_total{pool="decode",role="renderer",reason="deadline"} 2
# TYPE bulkhead_pool_task_latency_seconds summary
# UNIT bulkhead_pool_task_latency_seconds seconds
# HELP bulkhead_pool_task_latency_seconds How long tasks took, queueing included.
bulkhead_pool_task_latency_seconds{pool="decode",role="renderer",quantile="0.5"} 0.01
bulkhead_pool_task_latency_seconds{pool="decode",role="renderer",quantile="0.99"} 1.5
bulkhead_pool_task_latency_seconds_sum{pool="decode",role="renderer"} 2.25
bulkhead_pool_task_latency_seconds_count{pool="decode",role="renderer"} 13
# EOF
)text";

TEST(OpenMetricsTest, AFixedSnapshotIsExactlyThisText) {
  EXPECT_EQ(WriteOpenMetrics(FixedSnapshot()), kFixedText);
}

TEST(OpenMetricsTest, EveryLineOfItKeepsTheFormatsRules) {
  absl::StatusOr<std::vector<testing::OpenMetricsSample>> samples =
      CheckOpenMetrics(WriteOpenMetrics(FixedSnapshot()));
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ(samples->size(), 32u);
  for (const testing::OpenMetricsSample& sample : *samples) {
    EXPECT_TRUE(sample.name.starts_with("bulkhead_")) << sample.name;
  }
}

TEST(OpenMetricsTest, AnEmptySnapshotIsJustTheEnd) {
  EXPECT_EQ(WriteOpenMetrics(HostSnapshot()), "# EOF\n");
}

TEST(OpenMetricsTest, HostileLabelValuesAreEscapedAndReadBackAsUtf8) {
  HostSnapshot snapshot;
  RoleSnapshot role;
  role.role = std::string(testing::kBadWords) + "\nline two";
  ExitInfo exit;
  exit.kind = ExitKind::kBadMessage;
  exit.detail = "a \"quoted\" \\ detail\nwith\r\nlines\xff";
  role.last_exit = exit;
  snapshot.roles.push_back(role);
  PoolSnapshot pool;
  pool.name = "p\"}{ 1";
  pool.failed = {{"reason=\"x\",\n", 1}};
  snapshot.pools.push_back(pool);

  const std::string text = WriteOpenMetrics(snapshot);
  absl::StatusOr<std::vector<testing::OpenMetricsSample>> samples =
      CheckOpenMetrics(text);
  ASSERT_TRUE(samples.ok()) << samples.status() << "\n" << text;
  bool saw_exit = false;
  bool saw_reason = false;
  for (const testing::OpenMetricsSample& sample : *samples) {
    if (sample.labels.contains("role") &&
        sample.name.starts_with("bulkhead_role")) {
      EXPECT_EQ(sample.labels.at("role"), ValidUtf8(role.role));
    }
    if (sample.name == "bulkhead_role_last_exit_info") {
      saw_exit = true;
      EXPECT_EQ(sample.labels.at("description"), ValidUtf8(exit.Describe()));
    }
    if (sample.name == "bulkhead_pool_tasks_failed_total") {
      saw_reason = true;
      EXPECT_EQ(sample.labels.at("pool"), pool.name);
      EXPECT_EQ(sample.labels.at("reason"), "reason=\"x\",\n");
    }
  }
  EXPECT_TRUE(saw_exit);
  EXPECT_TRUE(saw_reason);
  EXPECT_THAT(text, HasSubstr(R"(reason="reason=\"x\",\n")"));
}

TEST(OpenMetricsTest, ALongExitDescriptionIsCut) {
  HostSnapshot snapshot;
  RoleSnapshot role;
  role.role = "r";
  ExitInfo exit;
  exit.kind = ExitKind::kStoppedByHost;
  exit.detail = std::string(1000, 'x');
  role.last_exit = exit;
  snapshot.roles.push_back(role);
  absl::StatusOr<std::vector<testing::OpenMetricsSample>> samples =
      CheckOpenMetrics(WriteOpenMetrics(snapshot));
  ASSERT_TRUE(samples.ok()) << samples.status();
  for (const testing::OpenMetricsSample& sample : *samples) {
    if (sample.name == "bulkhead_role_last_exit_info") {
      EXPECT_EQ(sample.labels.at("description").size(), 256u);
    }
  }
}

TEST(OpenMetricsTest, NamesThatReadTheSameAfterUtf8RepairAreOneSeries) {
  HostSnapshot snapshot;
  for (const char* name : {"pool\xff", "pool\xfe"}) {
    PoolSnapshot pool;
    pool.name = name;
    pool.done = 1;
    snapshot.pools.push_back(pool);
  }
  const std::string text = WriteOpenMetrics(snapshot);
  absl::StatusOr<std::vector<testing::OpenMetricsSample>> samples =
      CheckOpenMetrics(text);
  ASSERT_TRUE(samples.ok()) << samples.status() << "\n" << text;
  int done = 0;
  for (const testing::OpenMetricsSample& sample : *samples) {
    if (sample.name == "bulkhead_pool_tasks_done_total") ++done;
  }
  EXPECT_EQ(done, 1);
}

TEST(OpenMetricsTest, EscapingIsThoseThreeAndNothingElse) {
  EXPECT_EQ(EscapeOpenMetricsLabel("a\\b\"c\nd\te\r"), "a\\\\b\\\"c\\nd\te\r");
  EXPECT_EQ(EscapeOpenMetricsLabel("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(EscapeOpenMetricsLabel("\xff"), "\xef\xbf\xbd");
}

// The checker refuses each broken rule (so that its passes mean something).
TEST(OpenMetricsCheckTest, RefusesTextThatBreaksARule) {
  const std::vector<std::string> broken = {
      "",                                       // No EOF.
      "# EOF",                                  // No final newline.
      "# TYPE a gauge\na 1\n",                  // No EOF.
      "a 1\n# EOF\n",                           // No TYPE.
      "# TYPE a gauge\na 1\n# EOF\n# EOF\n",    // EOF twice.
      "# TYPE a counter\na 1\n# EOF\n",         // Counter without _total.
      "# TYPE a counter\na_total -1\n# EOF\n",  // Negative counter.
      "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n# EOF\n",  // Series twice.
      "# TYPE a gauge\na{x=\"\"\"} 1\n# EOF\n",               // Raw quote.
      "# TYPE a gauge\na{x=\"\\t\"} 1\n# EOF\n",              // Bad escape.
      "# TYPE a gauge\na{x=\"1\",} 1\n# EOF\n",               // Trailing comma.
      "# TYPE a gauge\na{1x=\"1\"} 1\n# EOF\n",               // Bad label name.
      "# TYPE a gauge\na 1.2.3\n# EOF\n",                     // Not a number.
      "# TYPE a gauge\na  1\n# EOF\n",                        // Two spaces.
      "# TYPE a gauge\n\n# EOF\n",                            // Empty line.
      "# TYPE a gauge\n# TYPE a gauge\n# EOF\n",              // Family twice.
      "# TYPE a_x gauge\n# UNIT a_x seconds\n# EOF\n",  // Unit not a suffix.
      "# TYPE a gauge\na 1\n# HELP a late\n# EOF\n",    // HELP after samples.
      "# TYPE a info\na_info 2\n# EOF\n",               // Info not 1.
      "# TYPE a stateset\na 1\n# EOF\n",                // State without label.
      "# TYPE a summary\na 1\n# EOF\n",                 // Quantile missing.
      "# TYPE a gauge\nb 1\n# EOF\n",                   // Not of the family.
      "# TYPE a gauge\n# HELP a x\"y\n# EOF\n",         // Raw quote in HELP.
      "# TYPE a gauge\na{x=\"\xff\"} 1\n# EOF\n",       // Not UTF-8.
  };
  for (const std::string& text : broken) {
    EXPECT_FALSE(CheckOpenMetrics(text).ok()) << text;
  }
  EXPECT_TRUE(CheckOpenMetrics("# TYPE a gauge\na{x=\"\\\\\\\"\\n\"} 1e-05\n"
                               "# EOF\n")
                  .ok());
}

}  // namespace
}  // namespace bulkhead
