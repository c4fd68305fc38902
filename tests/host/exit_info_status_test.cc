#include "host/exit_info_status.h"

#include <csignal>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

TEST(ExitInfoStatusTest, AnAttachedExitInfoReadsBackWhole) {
  ExitInfo exit;
  exit.kind = ExitKind::kCrashed;
  exit.exit_code = 0;
  exit.signal = SIGSEGV;
  exit.core_dumped = true;
  exit.detail = "detail";
  exit.pid = 4242;
  exit.role = "decoder";
  exit.helper_id = 7;
  exit.uptime = absl::Milliseconds(1234);
  exit.last_stderr_lines = {"one", "two"};
  exit.stack_trace = {"#0 Decode", "#1 main"};
  const absl::Status status =
      AttachExitInfo(absl::UnavailableError("channel closed"), exit);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "channel closed");
  std::optional<ExitInfo> read = ExitInfoFromStatus(status);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->kind, ExitKind::kCrashed);
  EXPECT_EQ(read->signal, SIGSEGV);
  EXPECT_TRUE(read->core_dumped);
  EXPECT_EQ(read->detail, "detail");
  EXPECT_EQ(read->pid, 4242);
  EXPECT_EQ(read->role, "decoder");
  EXPECT_EQ(read->helper_id, 7u);
  EXPECT_EQ(read->uptime, absl::Milliseconds(1234));
  EXPECT_EQ(read->last_stderr_lines, exit.last_stderr_lines);
  EXPECT_EQ(read->stack_trace, exit.stack_trace);
  EXPECT_EQ(read->Describe(), exit.Describe());
}

// A helper's stderr and stack need not be UTF-8: the record keeps their bytes
// (a `string` field would make protobuf refuse the record, and the task's
// status lose why its helper died).
TEST(ExitInfoStatusTest, BytesThatAreNotUtf8SurviveTheStatus) {
  ExitInfo exit;
  exit.kind = ExitKind::kCrashed;
  exit.signal = SIGSEGV;
  exit.detail = "bad \xff detail";
  exit.last_stderr_lines = {"ok", "\xc3\x28 not utf-8 \xfe"};
  exit.stack_trace = {"#0 \x80" "Decode"};
  std::optional<ExitInfo> read = ExitInfoFromStatus(
      AttachExitInfo(absl::UnavailableError("channel closed"), exit));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->detail, exit.detail);
  EXPECT_EQ(read->last_stderr_lines, exit.last_stderr_lines);
  EXPECT_EQ(read->stack_trace, exit.stack_trace);
}

TEST(ExitInfoStatusTest, ALaunchFailureKeepsItsStatus) {
  ExitInfo exit;
  exit.kind = ExitKind::kLaunchFailed;
  exit.launch_status = absl::NotFoundError("no such executable");
  std::optional<ExitInfo> read = ExitInfoFromStatus(
      AttachExitInfo(absl::UnavailableError("not ready"), exit));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->launch_status, exit.launch_status);
}

TEST(ExitInfoStatusTest, NothingAttachedOrOkMeansNone) {
  EXPECT_FALSE(ExitInfoFromStatus(absl::UnavailableError("x")).has_value());
  EXPECT_TRUE(AttachExitInfo(absl::OkStatus(), ExitInfo()).ok());
  EXPECT_FALSE(
      ExitInfoFromStatus(AttachExitInfo(absl::OkStatus(), ExitInfo())));
  absl::Status garbage = absl::UnavailableError("x");
  garbage.SetPayload(kExitInfoTypeUrl, absl::Cord("\xff\xff not a record"));
  EXPECT_FALSE(ExitInfoFromStatus(garbage).has_value());
}

}  // namespace
}  // namespace bulkhead
