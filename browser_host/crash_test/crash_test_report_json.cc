// The crash-test report as JSON. One object:
//   "platform":  "linux", "windows (wine)", ...
//   "sandboxed": whether helpers were launched in the platform's sandbox
//   "roles", "faults": the matrix's rows and columns (arrays of strings)
//   "passed", "failed", "skipped": case counts (SKIPPED does not fail a run)
//   "cases": one object per role x fault, role-major:
//     "role", "fault"
//     "verdict":  "PASS", "FAIL" or "SKIPPED"
//     "reason":   why it failed or was skipped ("" for a pass)
//     "expected": the end the fault must give, e.g. "crashed (SIGSEGV)"
//     "observed": ExitInfo::Describe() of the victim's end, or for `escape`
//                 "N of M attempts blocked"
//     "fault_ms", "detected_ms", "replacement_ready_ms": when the fault was
//                 injected, the victim's ExitInfo arrived and its replacement
//                 was Ready, in ms since the case began (null: did not happen)
//     "detection_latency_ms":   detected_ms - fault_ms (null when either is)
//     "replacement_latency_ms": replacement_ready_ms - fault_ms (null ...)
//     "duration_ms":    the whole case, host start to host shut down
//     "host_stayed_up": the host's loop kept turning after the fault and the
//                       host shut down cleanly
//     "escape_attempts", "escape_blocked": `escape` only (else 0)
//     "siblings": [{"helper", "calls", "failures", "worst_latency_ms"}]: the
//                 sample-work calls each sibling was sent between the fault
//                 and the replacement's Ready (or the escape's answer)
//     "helpers":  [{"helper", "role", "victim", "started_ms", "ready_ms",
//                 "exited_ms", "exit"}]: every helper's life in the case, in
//                 ms since the case began (null: did not happen in the case)
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "browser_host/crash_test/crash_test.h"
#include "browser_host/json_events.h"

namespace bulkhead {
namespace {

std::string Number(double value) { return absl::StrFormat("%.3f", value); }

std::string Number(const std::optional<double>& value) {
  return value.has_value() ? Number(*value) : "null";
}

std::string Bool(bool value) { return value ? "true" : "false"; }

std::string Strings(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items) quoted.push_back(JsonQuote(item));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

std::string Field(const char* name, const std::string& json) {
  return absl::StrCat("\"", name, "\":", json);
}

std::string Object(const std::vector<std::string>& fields) {
  return absl::StrCat("{", absl::StrJoin(fields, ","), "}");
}

std::string CaseJson(const CrashCaseResult& result) {
  std::vector<std::string> siblings;
  for (const SiblingLoad& sibling : result.siblings) {
    siblings.push_back(
        Object({Field("helper", JsonQuote(sibling.name)),
                Field("calls", absl::StrCat(sibling.calls)),
                Field("failures", absl::StrCat(sibling.failures)),
                Field("worst_latency_ms", Number(sibling.worst_latency_ms))}));
  }
  std::vector<std::string> helpers;
  for (const HelperSpan& span : result.helpers) {
    helpers.push_back(Object({Field("helper", JsonQuote(span.name)),
                              Field("role", JsonQuote(span.role)),
                              Field("victim", Bool(span.victim)),
                              Field("started_ms", Number(span.started_ms)),
                              Field("ready_ms", Number(span.ready_ms)),
                              Field("exited_ms", Number(span.exited_ms)),
                              Field("exit", JsonQuote(span.exit))}));
  }
  return Object(
      {Field("role", JsonQuote(result.role)),
       Field("fault", JsonQuote(result.fault)),
       Field("verdict", JsonQuote(CaseVerdictName(result.verdict))),
       Field("reason", JsonQuote(result.reason)),
       Field("expected", JsonQuote(result.expected)),
       Field("observed", JsonQuote(result.observed)),
       Field("fault_ms", Number(result.fault_ms)),
       Field("detected_ms", Number(result.detected_ms)),
       Field("replacement_ready_ms", Number(result.replacement_ms)),
       Field("detection_latency_ms", Number(result.detection_latency_ms())),
       Field("replacement_latency_ms", Number(result.replacement_latency_ms())),
       Field("duration_ms", Number(result.duration_ms)),
       Field("host_stayed_up", Bool(result.host_stayed_up)),
       Field("escape_attempts", absl::StrCat(result.escape_attempts)),
       Field("escape_blocked", absl::StrCat(result.escape_blocked)),
       Field("siblings", absl::StrCat("[", absl::StrJoin(siblings, ","), "]")),
       Field("helpers", absl::StrCat("[", absl::StrJoin(helpers, ","), "]"))});
}

}  // namespace

std::string CrashTestReportJson(const CrashTestReport& report) {
  std::vector<std::string> cases;
  for (const CrashCaseResult& result : report.cases) {
    cases.push_back(CaseJson(result));
  }
  return absl::StrCat(
      Object({Field("platform", JsonQuote(report.platform)),
              Field("sandboxed", Bool(report.sandboxed)),
              Field("roles", Strings(report.roles)),
              Field("faults", Strings(report.faults)),
              Field("passed", absl::StrCat(report.passed)),
              Field("failed", absl::StrCat(report.failed)),
              Field("skipped", absl::StrCat(report.skipped)),
              Field("cases",
                    absl::StrCat("[\n", absl::StrJoin(cases, ",\n"), "\n]"))}),
      "\n");
}

}  // namespace bulkhead
