// The crash-test matrix, its terminal table, and the `crash-test` command.
#include "browser_host/crash_test/crash_test.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "browser_host/crash_test/crash_test_internal.h"
#include "browser_host/terminal.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/diagnostics/fault_injection.h"
#include "host/launch/sandboxed_launcher.h"

namespace bulkhead {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as a shell reports it.

volatile std::sig_atomic_t interrupts = 0;

// The first SIGINT ends the running case and the run (the report covers the
// cases that ran); a second one exits at once: helpers die with their host
// (PR_SET_PDEATHSIG, channel end-of-stream, job kill-on-close).
extern "C" void OnInterrupt(int) {
  if (interrupts > 0) std::_Exit(kExitInterrupted);
  interrupts = 1;
}

std::string FormatMs(const std::optional<double>& ms) {
  return ms.has_value() ? absl::StrFormat("%.0f ms", *ms) : "-";
}

// At most `width` characters, cut with "...": the table's column.
std::string Fit(const std::string& text, size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

std::string SiblingSummary(const CrashCaseResult& result) {
  if (result.siblings.empty()) return "-";
  std::vector<std::string> parts;
  for (const SiblingLoad& sibling : result.siblings) {
    parts.push_back(absl::StrFormat("%d/%d ok, worst %.0f ms",
                                    sibling.calls - sibling.failures,
                                    sibling.calls, sibling.worst_latency_ms));
  }
  return absl::StrJoin(parts, "; ");
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

constexpr char kUsage[] =
    R"(Usage: browser_host crash-test [--roles=R1,R2] [--faults=F1,F2]
                               [--json=FILE] [--report=FILE.html] [--no-sandbox]
Injects each fault into a helper of each role while a sibling of another role
carries load, and checks the host's verdict, the detection, the sibling and
the replacement. Exit code 0 when every case passed (SKIPPED cases, which this
platform or build cannot observe, do not fail the run), 1 when one failed, 2
for a usage error, 130 after Ctrl-C (the first ends the running case and
writes the report of the cases so far; a second exits at once).
)";

}  // namespace

bool CrashTestInterrupted() { return interrupts > 0; }

const std::vector<std::string>& CrashTestRoles() {
  static const auto* roles =
      new std::vector<std::string>{"renderer", "gpu", "utility", "network"};
  return *roles;
}

const std::vector<std::string>& CrashTestFaults() {
  static const auto* faults = [] {
    auto* names = new std::vector<std::string>;
    for (int kind = ipc::FAULT_KIND_SEGV; kind <= ipc::FAULT_KIND_FORK_BOMB;
         ++kind) {
      names->push_back(FaultKindName(static_cast<ipc::FaultKind>(kind)));
    }
    names->push_back(FaultKindName(ipc::FAULT_KIND_ESCAPE));
    return names;
  }();
  return *faults;
}

const char* CaseVerdictName(CaseVerdict verdict) {
  switch (verdict) {
    case CaseVerdict::kPass:
      return "PASS";
    case CaseVerdict::kFail:
      return "FAIL";
    case CaseVerdict::kSkipped:
      return "SKIPPED";
  }
  return "?";
}

std::string CrashTestStartedAt(const CrashTestReport& report) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", report.started_at,
                          absl::UTCTimeZone());
}

std::optional<double> CrashCaseResult::detection_latency_ms() const {
  if (!fault_ms || !detected_ms) return std::nullopt;
  return *detected_ms - *fault_ms;
}

std::optional<double> CrashCaseResult::replacement_latency_ms() const {
  if (!fault_ms || !replacement_ms) return std::nullopt;
  return *replacement_ms - *fault_ms;
}

absl::Status ValidateCrashTestOptions(const CrashTestOptions& options) {
  auto check = [](const std::vector<std::string>& given,
                  const std::vector<std::string>& valid,
                  const char* what) -> absl::Status {
    for (const std::string& name : given) {
      if (std::find(valid.begin(), valid.end(), name) == valid.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown ", what, " '", name,
                         "'; valid: ", absl::StrJoin(valid, ", ")));
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status roles = check(options.roles, CrashTestRoles(), "role");
      !roles.ok()) {
    return roles;
  }
  return check(options.faults, CrashTestFaults(), "fault");
}

std::string FormatCrashTestHeader() {
  return absl::StrFormat("%-9s %-15s %-8s %-34s %-10s %-10s %s\n", "ROLE",
                         "FAULT", "RESULT", "EXPECTED / OBSERVED", "DETECTED",
                         "READY", "SIBLING");
}

std::string FormatCrashTestRow(const CrashCaseResult& result, bool color) {
  std::string verdict = CaseVerdictName(result.verdict);
  const size_t width = verdict.size();
  if (color) {
    const char* code = result.verdict == CaseVerdict::kPass   ? "32"
                       : result.verdict == CaseVerdict::kFail ? "31"
                                                              : "33";
    verdict = absl::StrCat("\x1b[", code, "m", verdict, "\x1b[0m");
  }
  verdict.append(width < 8 ? 8 - width : 0, ' ');
  std::string row = absl::StrFormat(
      "%-9s %-15s %s %-34s %-10s %-10s %s\n", result.role, result.fault,
      verdict,
      Fit(result.observed.empty() ? result.expected : result.observed, 34),
      FormatMs(result.detection_latency_ms()),
      FormatMs(result.replacement_latency_ms()), SiblingSummary(result));
  if (!result.reason.empty())
    absl::StrAppend(&row, "          ", result.reason, "\n");
  return row;
}

CrashTestReport RunCrashTest(const RoleRegistry& roles,
                             const CrashTestOptions& options,
                             std::FILE* progress) {
  CrashTestReport report;
  report.bulkhead_version = BULKHEAD_VERSION;
  report.started_at = absl::Now();
  report.platform = CrashTestPlatformName();
  report.sandboxed = options.sandbox_helpers && SandboxedLaunchAvailable();
  report.roles = options.roles.empty() ? CrashTestRoles() : options.roles;
  report.faults = options.faults.empty() ? CrashTestFaults() : options.faults;
  const bool color = progress != nullptr && UseColor(progress);
  if (progress != nullptr) {
    std::fputs(FormatCrashTestHeader().c_str(), progress);
    std::fflush(progress);
  }
  for (const std::string& role : report.roles) {
    for (const std::string& fault : report.faults) {
      if (CrashTestInterrupted()) break;
      CrashCaseResult result = RunCrashCase(roles, options, role, fault);
      switch (result.verdict) {
        case CaseVerdict::kPass:
          ++report.passed;
          break;
        case CaseVerdict::kFail:
          ++report.failed;
          break;
        case CaseVerdict::kSkipped:
          ++report.skipped;
          break;
      }
      if (progress != nullptr) {
        std::fputs(FormatCrashTestRow(result, color).c_str(), progress);
        std::fflush(progress);
      }
      report.cases.push_back(std::move(result));
    }
  }
  return report;
}

int RunCrashTestCommand(const RoleRegistry& roles,
                        const std::vector<std::string>& args) {
  // The host kills helpers on purpose in every case: its warnings about
  // that are expected, and the table says what happened.
  SetLogLevel(LogLevel::kError);
  CrashTestOptions options;
  auto usage_error = [](absl::string_view message) {
    std::fprintf(stderr,
                 "browser_host crash-test: %s\n"
                 "Try 'browser_host crash-test --help' for more information.\n",
                 std::string(message).c_str());
    return kExitUsage;
  };
  std::vector<std::string> argv = {"browser_host crash-test"};
  argv.insert(argv.end(), args.begin(), args.end());
  const absl::StatusOr<CommandLine> line = CommandLine::Parse(
      argv, {.with_value = {"roles", "faults", "json", "report"},
             .without_value = {"help", "no-sandbox"},
             .short_forms = {{"h", "help"}}});
  if (!line.ok()) return usage_error(line.status().message());
  if (line->Has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!line->positional().empty()) {
    return usage_error(
        absl::StrCat("unexpected argument '", line->positional().front(), "'"));
  }
  options.sandbox_helpers = !line->Has("no-sandbox");
  if (line->Has("roles"))
    options.roles = absl::StrSplit(*line->Get("roles"), ',');
  if (line->Has("faults")) {
    options.faults = absl::StrSplit(*line->Get("faults"), ',');
  }
  const std::string json_path = line->Get("json").value_or("");
  const std::string html_path = line->Get("report").value_or("");
  if (absl::Status valid = ValidateCrashTestOptions(options); !valid.ok()) {
    return usage_error(std::string(valid.message()));
  }
  // A report that cannot be written is found now, not after the whole run.
  for (const std::string& path : {json_path, html_path}) {
    if (path.empty()) continue;
    if (absl::Status created = WriteFile(path, ""); !created.ok()) {
      return usage_error(std::string(created.message()));
    }
  }
  if (!options.sandbox_helpers) {
    std::fprintf(stderr,
                 "browser_host: WARNING: --no-sandbox: helpers run UNCONFINED."
                 "\n");
  }
  std::signal(SIGINT, OnInterrupt);
  const CrashTestReport report = RunCrashTest(roles, options, stdout);
  std::printf("%d passed, %d failed, %d skipped (%s, helpers %s)%s\n",
              report.passed, report.failed, report.skipped,
              report.platform.c_str(),
              report.sandboxed ? "sandboxed" : "not sandboxed",
              CrashTestInterrupted() ? "; interrupted (SIGINT)" : "");
  int code = CrashTestInterrupted() ? kExitInterrupted
             : report.failed == 0   ? 0
                                    : kExitFailed;
  auto write_report = [&code](const std::string& path,
                              const absl::StatusOr<std::string>& text) {
    absl::Status written = text.status();
    if (written.ok()) written = WriteFile(path, *text);
    if (!written.ok()) {
      std::fprintf(stderr, "browser_host: %s\n", written.ToString().c_str());
      code = kExitFailed;
    } else {
      std::printf("wrote %s\n", path.c_str());
    }
  };
  if (!json_path.empty()) write_report(json_path, CrashTestReportJson(report));
  if (!html_path.empty()) write_report(html_path, CrashTestReportHtml(report));
  std::fflush(stdout);
  return code;
}

}  // namespace bulkhead
