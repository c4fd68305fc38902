// The crash-test report writers on a made-up report: text is escaped, missing
// figures are null, the JSON parses as its schema, and both say the version
// and the start.
#include <string>

#include "absl/time/time.h"
#include "browser_host/crash_test/crash_test.h"
#include "browser_host/proto/crash_test_report.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CrashTestReport MadeUpReport() {
  CrashTestReport report;
  report.bulkhead_version = "9.8.7";
  report.started_at = absl::FromUnixMillis(1'800'000'000'999);
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

// The report as its schema, read strictly (no unknown field, every value of
// its field's type), and as a free-form object.
struct ParsedReport {
  output::CrashTestReport typed;
  google::protobuf::Struct json;
};

ParsedReport Parse(const CrashTestReport& report) {
  ParsedReport parsed;
  const absl::StatusOr<std::string> json = CrashTestReportJson(report);
  EXPECT_TRUE(json.ok()) << json.status();
  if (!json.ok()) return parsed;
  const auto strict =
      google::protobuf::util::JsonStringToMessage(*json, &parsed.typed);
  EXPECT_TRUE(strict.ok()) << strict.ToString() << ": " << *json;
  const auto loose =
      google::protobuf::util::JsonStringToMessage(*json, &parsed.json);
  EXPECT_TRUE(loose.ok()) << loose.ToString() << ": " << *json;
  return parsed;
}

TEST(CrashTestReportJsonTest, ParsesWithEscapedTextAndNulls) {
  const ParsedReport parsed = Parse(MadeUpReport());
  const google::protobuf::Struct& json = parsed.json;
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
  // Zeros and empty lists are written too.
  EXPECT_EQ(json.fields().at("passed").number_value(), 0);
  EXPECT_EQ(
      cases[1].struct_value().fields().at("helpers").list_value().values_size(),
      0);
  // Every figure that may not have happened is a number or null.
  for (const output::CrashCase& result : parsed.typed.cases()) {
    for (const google::protobuf::Value* figure :
         {&result.fault_ms(), &result.detected_ms(),
          &result.replacement_ready_ms(), &result.detection_latency_ms(),
          &result.replacement_latency_ms()}) {
      EXPECT_TRUE(figure->has_number_value() || figure->has_null_value())
          << figure->DebugString();
    }
  }
}

TEST(CrashTestReportJsonTest, SaysTheVersionAndWhenTheRunStarted) {
  const ParsedReport parsed = Parse(MadeUpReport());
  EXPECT_EQ(parsed.typed.bulkhead_version(), "9.8.7");
  EXPECT_EQ(parsed.typed.started_at(), "2027-01-15T08:00:00Z");
}

// Text from a helper (its exit, as ExitInfo::Describe() says it) with any
// bytes: the file stays valid JSON, UTF-8 kept, the rest U+FFFD.
TEST(CrashTestReportJsonTest, HostileTextStaysValidJson) {
  CrashTestReport report = MadeUpReport();
  report.cases[0].observed = std::string(testing::kBadWords);
  report.cases[0].helpers[0].exit = std::string(testing::kBadWords);
  const ParsedReport parsed = Parse(report);
  ASSERT_EQ(parsed.typed.cases_size(), 2);
  EXPECT_EQ(parsed.typed.cases(0).observed(), testing::kBadWordsAsUtf8);
  EXPECT_EQ(parsed.typed.cases(0).helpers(0).exit(), testing::kBadWordsAsUtf8);
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

TEST(CrashTestReportHtmlTest, SaysTheVersionAndWhenTheRunStarted) {
  const std::string html = CrashTestReportHtml(MadeUpReport());
  EXPECT_THAT(html, HasSubstr("bulkhead <span id=\"version\">9.8.7</span>"));
  EXPECT_THAT(html, HasSubstr("<time id=\"started\" "
                              "datetime=\"2027-01-15T08:00:00Z\">"
                              "2027-01-15T08:00:00Z</time>"));
}

}  // namespace
}  // namespace bulkhead
