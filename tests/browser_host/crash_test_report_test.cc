// The crash-test report writers on a made-up report: text is escaped, missing
// figures are null, and the JSON parses.
#include <string>

#include "browser_host/crash_test/crash_test.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CrashTestReport MadeUpReport() {
  CrashTestReport report;
  report.platform = "linux";
  report.sandboxed = true;
  report.roles = {"renderer"};
  report.faults = {"segv", "oom"};
  CrashCaseResult crashed;
  crashed.role = "renderer";
  crashed.fault = "segv";
  crashed.verdict = CaseVerdict::kFail;
  crashed.reason = "expected \"crashed\" <got>\n & more";
  crashed.fault_ms = 10;
  crashed.detected_ms = 12.5;
  crashed.duration_ms = 40;
  crashed.helpers.push_back(HelperSpan{.name = "renderer-1",
                                       .role = "renderer",
                                       .victim = true,
                                       .started_ms = 0,
                                       .ready_ms = 5,
                                       .exited_ms = 12,
                                       .exit = "crashed <sig>"});
  crashed.siblings.push_back(SiblingLoad{.name = "gpu-2", .calls = 3});
  CrashCaseResult skipped;
  skipped.role = "renderer";
  skipped.fault = "oom";
  skipped.verdict = CaseVerdict::kSkipped;
  skipped.reason = "no memory limit";
  report.cases = {crashed, skipped};
  report.failed = 1;
  report.skipped = 1;
  return report;
}

TEST(CrashTestReportJsonTest, ParsesWithEscapedTextAndNulls) {
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  CrashTestReportJson(MadeUpReport()), &json)
                  .ok());
  const auto& cases = json.fields().at("cases").list_value().values();
  ASSERT_EQ(cases.size(), 2);
  const auto& crashed = cases[0].struct_value().fields();
  EXPECT_EQ(crashed.at("reason").string_value(),
            "expected \"crashed\" <got>\n & more");
  EXPECT_EQ(crashed.at("detection_latency_ms").number_value(), 2.5);
  EXPECT_EQ(crashed.at("replacement_ready_ms").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_EQ(crashed.at("verdict").string_value(), "FAIL");
  EXPECT_EQ(cases[1].struct_value().fields().at("verdict").string_value(),
            "SKIPPED");
  EXPECT_EQ(json.fields().at("skipped").number_value(), 1);
}

TEST(CrashTestReportHtmlTest, EscapesTextAndColoursTheMatrix) {
  const std::string html = CrashTestReportHtml(MadeUpReport());
  EXPECT_THAT(html, HasSubstr("&lt;got&gt;"));
  EXPECT_THAT(html, HasSubstr("crashed &lt;sig&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<got>")));
  EXPECT_THAT(html, HasSubstr("<td class=\"fail\""));
  EXPECT_THAT(html, HasSubstr("<td class=\"skip\""));
  EXPECT_THAT(html, HasSubstr("href=\"#case-renderer-segv\""));
  EXPECT_THAT(html, HasSubstr("id=\"case-renderer-segv\""));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
}

}  // namespace
}  // namespace bulkhead
