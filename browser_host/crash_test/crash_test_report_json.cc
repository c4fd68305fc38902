// The crash-test report as JSON: the message bulkhead.output.CrashTestReport
// (browser_host/proto/crash_test_report.proto documents every field).
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "browser_host/crash_test/crash_test.h"
#include "browser_host/proto/crash_test_report.pb.h"
#include "host/proto_json.h"

namespace bulkhead {
namespace {

// Milliseconds to the microsecond: the figures are measured no finer.
double Ms(double ms) { return std::round(ms * 1000) / 1000; }

// A figure that may not have happened: a number, or null.
void SetMs(const std::optional<double>& ms, google::protobuf::Value& value) {
  if (ms.has_value()) {
    value.set_number_value(Ms(*ms));
  } else {
    value.set_null_value(google::protobuf::NULL_VALUE);
  }
}

void FillCase(const CrashCaseResult& result, output::CrashCase& json) {
  json.set_role(ValidUtf8(result.role));
  json.set_fault(ValidUtf8(result.fault));
  json.set_verdict(CaseVerdictName(result.verdict));
  json.set_reason(ValidUtf8(result.reason));
  json.set_expected(ValidUtf8(result.expected));
  json.set_observed(ValidUtf8(result.observed));
  SetMs(result.fault_ms, *json.mutable_fault_ms());
  SetMs(result.detected_ms, *json.mutable_detected_ms());
  SetMs(result.replacement_ms, *json.mutable_replacement_ready_ms());
  SetMs(result.detection_latency_ms(), *json.mutable_detection_latency_ms());
  SetMs(result.replacement_latency_ms(),
        *json.mutable_replacement_latency_ms());
  json.set_duration_ms(Ms(result.duration_ms));
  json.set_host_stayed_up(result.host_stayed_up);
  json.set_escape_attempts(result.escape_attempts);
  json.set_escape_blocked(result.escape_blocked);
  for (const SiblingLoad& sibling : result.siblings) {
    output::SiblingLoad& load = *json.add_siblings();
    load.set_helper(ValidUtf8(sibling.name));
    load.set_calls(sibling.calls);
    load.set_failures(sibling.failures);
    load.set_worst_latency_ms(Ms(sibling.worst_latency_ms));
  }
  for (const HelperSpan& span : result.helpers) {
    output::HelperSpan& helper = *json.add_helpers();
    helper.set_helper(ValidUtf8(span.name));
    helper.set_role(ValidUtf8(span.role));
    helper.set_victim(span.victim);
    helper.set_started_ms(Ms(span.started_ms));
    SetMs(span.ready_ms, *helper.mutable_ready_ms());
    SetMs(span.exited_ms, *helper.mutable_exited_ms());
    helper.set_exit(ValidUtf8(span.exit));
  }
}

}  // namespace

absl::StatusOr<std::string> CrashTestReportJson(const CrashTestReport& report) {
  output::CrashTestReport json;
  json.set_bulkhead_version(ValidUtf8(report.bulkhead_version));
  json.set_started_at(CrashTestStartedAt(report));
  json.set_platform(ValidUtf8(report.platform));
  json.set_sandboxed(report.sandboxed);
  for (const std::string& role : report.roles) json.add_roles(ValidUtf8(role));
  for (const std::string& fault : report.faults) {
    json.add_faults(ValidUtf8(fault));
  }
  json.set_passed(report.passed);
  json.set_failed(report.failed);
  json.set_skipped(report.skipped);
  for (const CrashCaseResult& result : report.cases) {
    FillCase(result, *json.add_cases());
  }
  absl::StatusOr<std::string> printed = PrintJson(json);
  if (printed.ok()) printed->push_back('\n');
  return printed;
}

}  // namespace bulkhead
