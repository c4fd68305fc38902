// `browser_host crash-test`: every selected role x fault, each case on a fresh
// host: the victim and a sibling of another role (under a light, steady load
// of sample-work calls) are started, the fault is injected into the victim,
// and the case measures how the host classified the end against what the
// fault must give, how long detection took, whether the sibling kept
// answering, and how long until the supervisor's replacement was Ready.
//
// Thread: everything runs on the calling thread (each case runs its own
// host's loop to completion).
#ifndef BULKHEAD_BROWSER_HOST_CRASH_TEST_CRASH_TEST_H_
#define BULKHEAD_BROWSER_HOST_CRASH_TEST_CRASH_TEST_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "helper/role_registry.h"

namespace bulkhead {

// The built-in roles and faults a crash test covers, in matrix order. The
// faults are every `ipc::FaultKind` by its `FaultKindName`, `escape` last.
const std::vector<std::string>& CrashTestRoles();
const std::vector<std::string>& CrashTestFaults();

struct CrashTestOptions {
  std::vector<std::string> roles;   // Empty: CrashTestRoles().
  std::vector<std::string> faults;  // Empty: CrashTestFaults().
  bool sandbox_helpers = true;      // As far as the platform has a sandbox.
  // The victim's memory limit in `oom` cases.
  uint64_t memory_limit_bytes = 512ull << 20;
};

enum class CaseVerdict { kPass, kFail, kSkipped };
const char* CaseVerdictName(CaseVerdict verdict);  // "PASS", "FAIL", "SKIPPED"

// One helper's life during a case, in milliseconds since the case began.
struct HelperSpan {
  std::string name;  // "<role>-<id>"
  std::string role;
  bool victim = false;  // The helper the fault was injected into.
  double started_ms = 0;
  std::optional<double> ready_ms;
  std::optional<double> exited_ms;
  std::string exit;  // ExitInfo::Describe(), when it exited.
};

struct SiblingLoad {
  std::string name;
  // Sample-work calls started between the injection and the end of the
  // fault window (the replacement's Ready, or the escape's answer).
  int calls = 0;
  int failures = 0;
  double worst_latency_ms = 0;
};

struct CrashCaseResult {
  std::string role;
  std::string fault;
  CaseVerdict verdict = CaseVerdict::kFail;
  // Why it failed or was skipped ("" for a pass).
  std::string reason;
  std::string expected;  // e.g. "crashed (SIGSEGV)"
  std::string observed;  // ExitInfo::Describe(), or the escape's summary.
  // Milliseconds since the case began; unset when it did not happen.
  std::optional<double> fault_ms;        // Fault injected.
  std::optional<double> detected_ms;     // The victim's ExitInfo arrived.
  std::optional<double> replacement_ms;  // Its replacement was Ready.
  double duration_ms = 0;
  // The host's loop kept turning after the fault and it shut down cleanly.
  bool host_stayed_up = false;
  std::vector<SiblingLoad> siblings;
  // `escape`: attempts made, and those blocked.
  int escape_attempts = 0;
  int escape_blocked = 0;
  std::vector<HelperSpan> helpers;

  // detected_ms - fault_ms, replacement_ms - fault_ms.
  std::optional<double> detection_latency_ms() const;
  std::optional<double> replacement_latency_ms() const;
};

struct CrashTestReport {
  std::string bulkhead_version;  // The build's, e.g. "0.2.0".
  absl::Time started_at;         // When the run started.
  std::string platform;          // e.g. "linux", "windows (wine)"
  bool sandboxed = false;
  std::vector<std::string> roles;
  std::vector<std::string> faults;
  std::vector<CrashCaseResult> cases;  // Role-major, in matrix order.
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

// Checks `options`' roles and faults against the known ones. Error
// (InvalidArgument): a one-line message naming the valid values.
absl::Status ValidateCrashTestOptions(const CrashTestOptions& options);

// Runs the matrix. `progress` (may be null) gets one table row per case as
// it finishes (see FormatCrashTestRow).
CrashTestReport RunCrashTest(const RoleRegistry& roles,
                             const CrashTestOptions& options,
                             std::FILE* progress);

// One case on a fresh host (crash_test_case.cc).
CrashCaseResult RunCrashCase(const RoleRegistry& roles,
                             const CrashTestOptions& options,
                             const std::string& role, const std::string& fault);

// The terminal table: a header and one line per case; `color` adds ANSI
// colours to the verdicts.
std::string FormatCrashTestHeader();
std::string FormatCrashTestRow(const CrashCaseResult& result, bool color);

// The report as JSON, the message bulkhead.output.CrashTestReport
// (browser_host/proto/crash_test_report.proto documents every field; errors
// (Internal): the JSON printer failed, a bug), and as one self-contained HTML
// page (inline CSS and SVG, no scripts). Both say the version and the start.
absl::StatusOr<std::string> CrashTestReportJson(const CrashTestReport& report);
std::string CrashTestReportHtml(const CrashTestReport& report);
// `report.started_at` as ISO 8601 UTC to the second: "2026-11-27T12:00:00Z".
std::string CrashTestStartedAt(const CrashTestReport& report);

// `browser_host crash-test ARGS...` (the arguments after the subcommand):
// 0 when every case passed or was skipped, 1 when one failed, 2 for a usage
// error (told on stderr).
int RunCrashTestCommand(const RoleRegistry& roles,
                        const std::vector<std::string>& args);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_CRASH_TEST_CRASH_TEST_H_
