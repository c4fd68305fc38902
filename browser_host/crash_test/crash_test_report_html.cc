// The crash-test report as one self-contained HTML page: inline CSS, inline
// SVG, no scripts and nothing fetched. The Bulkhead version and when the run
// started (UTC), the matrix (roles x faults, a coloured cell per case linking
// to its details), then per case a table of figures and a timeline: each
// helper's life as a bar (pale while starting, solid once Ready), and the
// fault, its detection and the replacement's Ready marked.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "browser_host/crash_test/crash_test.h"

namespace bulkhead {
namespace {

constexpr double kWidth = 760;   // Timeline drawing area, px.
constexpr double kLabels = 150;  // Left margin for helper names.
constexpr double kRow = 22;      // Per helper.

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string VerdictClass(CaseVerdict verdict) {
  switch (verdict) {
    case CaseVerdict::kPass:
      return "pass";
    case CaseVerdict::kFail:
      return "fail";
    case CaseVerdict::kSkipped:
      return "skip";
  }
  return "";
}

std::string Anchor(const CrashCaseResult& result) {
  return absl::StrCat("case-", result.role, "-", result.fault);
}

std::string Ms(const std::optional<double>& ms) {
  return ms.has_value() ? absl::StrFormat("%.1f ms", *ms) : "&ndash;";
}

constexpr char kStyle[] = R"(<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
table.matrix td{text-align:center;font-weight:600;min-width:56px}
table.matrix th{font-size:12px;padding:4px 5px}
td.pass{background:#c8efc8;color:#135213}td.fail{background:#f6c2c2;color:#7a1010}
td.skip{background:#eee;color:#666}
td a{color:inherit;text-decoration:none;display:block}
.summary span{margin-right:16px}
.case{margin-top:18px;border-top:1px solid #ddd;padding-top:8px}
.legend span{margin-right:14px}
svg text{font:11px system-ui,sans-serif}
.reason{color:#7a1010}
.meta{color:#555}
</style>)";

std::string Timeline(const CrashCaseResult& result) {
  const double span = std::max(result.duration_ms, 1.0);
  auto x = [&](double ms) {
    return kLabels + std::clamp(ms / span, 0.0, 1.0) * kWidth;
  };
  const double height = kRow * result.helpers.size() + 54;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
      "height=\"%.0f\" role=\"img\" aria-label=\"timeline of %s %s\">\n",
      kLabels + kWidth + 10, height, Escape(result.role), Escape(result.fault));
  double y = 4;
  for (const HelperSpan& helper : result.helpers) {
    const char* color = helper.victim ? "#d9534f" : "#4a7fc1";
    const double end = helper.exited_ms.value_or(result.duration_ms);
    const double ready = helper.ready_ms.value_or(end);
    const char* what = helper.victim                ? " (victim)"
                       : helper.role == result.role ? " (replacement)"
                                                    : "";
    absl::StrAppendFormat(&svg, "<text x=\"4\" y=\"%.0f\">%s%s</text>\n",
                          y + 13, Escape(helper.name), what);
    absl::StrAppendFormat(
        &svg,
        "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"14\" "
        "fill=\"%s\" opacity=\"0.35\"/>\n",
        x(helper.started_ms), y + 2,
        std::max(x(ready) - x(helper.started_ms), 1.0), color);
    absl::StrAppendFormat(
        &svg,
        "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"14\" "
        "fill=\"%s\"><title>%s: %s</title></rect>\n",
        x(ready), y + 2, std::max(x(end) - x(ready), 1.0), color,
        Escape(helper.name),
        Escape(helper.exit.empty() ? "running" : helper.exit));
    y += kRow;
  }
  auto mark = [&](const std::optional<double>& ms, const char* color,
                  const char* label, double text_y) {
    if (!ms.has_value()) return;
    // Labels near the right edge end at their line instead of starting there.
    const bool right = x(*ms) > kLabels + 0.75 * kWidth;
    absl::StrAppendFormat(
        &svg,
        "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\" "
        "stroke-width=\"2\" stroke-dasharray=\"4 2\"/>\n"
        "<text x=\"%.1f\" y=\"%.0f\" fill=\"%s\" text-anchor=\"%s\">%s "
        "%.0f ms</text>\n",
        x(*ms), x(*ms), y, color, x(*ms) + (right ? -3 : 3), y + text_y, color,
        right ? "end" : "start", label, *ms);
  };
  mark(result.fault_ms, "#b00000", "fault", 10);
  mark(result.detected_ms, "#c77700", "detected", 22);
  mark(result.replacement_ms, "#177a17", "ready", 34);
  absl::StrAppendFormat(&svg,
                        "<text x=\"%.0f\" y=\"%.0f\">0 ms</text>"
                        "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">"
                        "case end %.0f ms</text>\n</svg>\n",
                        kLabels, y + 46, kLabels + kWidth, y + 46,
                        result.duration_ms);
  return svg;
}

std::string CaseSection(const CrashCaseResult& result) {
  std::string html = absl::StrFormat(
      "<div class=\"case\" id=\"%s\"><h2>%s &times; %s: %s</h2>\n",
      Anchor(result), Escape(result.role), Escape(result.fault),
      CaseVerdictName(result.verdict));
  if (!result.reason.empty()) {
    absl::StrAppend(&html, "<p class=\"reason\">", Escape(result.reason),
                    "</p>\n");
  }
  absl::StrAppend(
      &html, "<table><tr><th>expected</th><td>", Escape(result.expected),
      "</td></tr><tr><th>observed</th><td>", Escape(result.observed),
      "</td></tr><tr><th>detection latency</th><td>",
      Ms(result.detection_latency_ms()),
      "</td></tr><tr><th>replacement ready after</th><td>",
      Ms(result.replacement_latency_ms()),
      "</td></tr><tr><th>host stayed up</th><td>",
      result.host_stayed_up ? "yes" : "NO", "</td></tr>\n");
  for (const SiblingLoad& sibling : result.siblings) {
    absl::StrAppendFormat(
        &html,
        "<tr><th>sibling %s</th><td>%d calls during the fault, %d failed, "
        "worst %.1f ms</td></tr>\n",
        Escape(sibling.name), sibling.calls, sibling.failures,
        sibling.worst_latency_ms);
  }
  absl::StrAppend(&html, "</table>\n");
  if (!result.helpers.empty()) absl::StrAppend(&html, Timeline(result));
  absl::StrAppend(&html, "</div>\n");
  return html;
}

}  // namespace

std::string CrashTestReportHtml(const CrashTestReport& report) {
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<title>browser_host crash-test</title>\n",
      kStyle, "</head><body>\n<h1>browser_host crash-test</h1>\n");
  const std::string started = CrashTestStartedAt(report);
  absl::StrAppend(&html, "<p class=\"meta\">bulkhead <span id=\"version\">",
                  Escape(report.bulkhead_version),
                  "</span>, run started <time id=\"started\" datetime=\"",
                  started, "\">", started, "</time></p>\n");
  absl::StrAppendFormat(
      &html,
      "<p class=\"summary\"><span>%s</span><span>helpers %s</span>"
      "<span id=\"passed\">%d passed</span><span id=\"failed\">%d "
      "failed</span><span id=\"skipped\">%d skipped</span></p>\n",
      Escape(report.platform), report.sandboxed ? "sandboxed" : "not sandboxed",
      report.passed, report.failed, report.skipped);
  absl::StrAppend(&html, "<table class=\"matrix\" id=\"matrix\"><tr><th></th>");
  for (const std::string& fault : report.faults) {
    absl::StrAppend(&html, "<th>", Escape(fault), "</th>");
  }
  absl::StrAppend(&html, "</tr>\n");
  for (const std::string& role : report.roles) {
    absl::StrAppend(&html, "<tr><th>", Escape(role), "</th>");
    for (const std::string& fault : report.faults) {
      const auto found = std::find_if(
          report.cases.begin(), report.cases.end(), [&](const auto& result) {
            return result.role == role && result.fault == fault;
          });
      if (found == report.cases.end()) {
        absl::StrAppend(&html, "<td></td>");
        continue;
      }
      absl::StrAppendFormat(
          &html, "<td class=\"%s\" title=\"%s\"><a href=\"#%s\">%s</a></td>",
          VerdictClass(found->verdict),
          Escape(found->reason.empty() ? found->observed : found->reason),
          Anchor(*found), CaseVerdictName(found->verdict));
    }
    absl::StrAppend(&html, "</tr>\n");
  }
  absl::StrAppend(
      &html,
      "</table>\n<p class=\"legend\"><span style=\"color:#4a7fc1\">&#9632; "
      "sibling</span><span style=\"color:#d9534f\">&#9632; victim (pale: "
      "starting)</span><span style=\"color:#b00000\">| fault</span>"
      "<span style=\"color:#c77700\">| detected</span><span "
      "style=\"color:#177a17\">| replacement ready</span></p>\n");
  for (const CrashCaseResult& result : report.cases) {
    absl::StrAppend(&html, CaseSection(result));
  }
  absl::StrAppend(&html, "</body></html>\n");
  return html;
}

}  // namespace bulkhead
