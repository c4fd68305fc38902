#include "browser_host/status_table.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "browser_host/terminal.h"

namespace bulkhead {
namespace {

std::string FormatMicros(std::optional<absl::Duration> duration) {
  if (!duration.has_value()) return "-";
  return absl::StrFormat("%.0f us", absl::ToDoubleMicroseconds(*duration));
}

// The RTT column: an overdue Ping's wait wins over the last round trip.
std::string FormatRoundTrip(const HelperRow& row) {
  if (row.overdue_ping.has_value()) {
    return absl::StrFormat("ping overdue %.1fs",
                           absl::ToDoubleSeconds(*row.overdue_ping));
  }
  return FormatMicros(row.round_trip);
}

std::string FormatUptime(absl::Duration uptime) {
  return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(uptime));
}

std::string FormatPercent(std::optional<double> percent) {
  if (!percent.has_value()) return "-";
  return absl::StrFormat("%.1f", *percent);
}

std::string FormatMemory(std::optional<uint64_t> bytes) {
  if (!bytes.has_value()) return "-";
  return absl::StrFormat("%.1f MB", static_cast<double>(*bytes) / 1e6);
}

std::string FormatRates(std::optional<double> in, std::optional<double> out) {
  if (!in.has_value() || !out.has_value()) return "-";
  return absl::StrFormat("%.1f/%.1f", *in, *out);
}

}  // namespace

namespace {

constexpr size_t kColumns = 12;
using Line = std::array<std::string, kColumns>;
enum Column : size_t { kRole = 2, kState = 3, kRtt = 7, kLastExit = 11 };

// The lines of `cells`, each column as wide as `widths` says (0: left out),
// `gap` blanks between columns, cells wider than their column cut.
std::string Render(const std::vector<Line>& cells,
                   const std::array<size_t, kColumns>& widths, size_t gap) {
  std::string table;
  for (const Line& line : cells) {
    std::string text;
    for (size_t c = 0; c < kColumns; ++c) {
      if (widths[c] == 0) continue;
      if (!text.empty()) text.append(gap, ' ');
      const std::string cell = FitToWidth(line[c], widths[c]);
      absl::StrAppend(&text, cell);
      // Padding up to the next column (none after the last).
      if (c + 1 < kColumns) text.append(widths[c] - cell.size(), ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    absl::StrAppend(&table, text, "\n");
  }
  return table;
}

size_t Total(const std::array<size_t, kColumns>& widths, size_t gap) {
  size_t total = 0, shown = 0;
  for (size_t width : widths) {
    total += width;
    if (width > 0) ++shown;
  }
  return total + (shown > 0 ? (shown - 1) * gap : 0);
}

}  // namespace

std::string FormatStatusTable(const std::vector<HelperRow>& rows,
                              size_t width) {
  std::vector<Line> cells;
  cells.push_back({"HELPER", "PID", "ROLE", "STATE", "UPTIME", "CPU%", "MEM",
                   "RTT", "MSG/S IN/OUT", "RESTARTS", "SANDBOX", "LAST EXIT"});
  for (const HelperRow& row : rows) {
    cells.push_back(
        {row.name, row.pid == 0 ? "-" : absl::StrCat(row.pid), row.role,
         row.state, FormatUptime(row.uptime), FormatPercent(row.cpu_percent),
         FormatMemory(row.resident_bytes), FormatRoundTrip(row),
         FormatRates(row.messages_in_per_second, row.messages_out_per_second),
         absl::StrCat(row.restarts), row.sandbox,
         row.last_exit.empty() ? "-" : row.last_exit});
  }
  auto natural_widths = [&cells] {
    std::array<size_t, kColumns> widths{};
    for (const Line& line : cells) {
      for (size_t c = 0; c < kColumns; ++c)
        widths[c] = std::max(widths[c], line[c].size());
    }
    return widths;
  };
  std::array<size_t, kColumns> widths = natural_widths();
  if (width == 0 || Total(widths, 2) <= width) return Render(cells, widths, 2);

  // Narrow: short headers, one blank, no ROLE.
  cells[0][8] = "MSG/S";
  cells[0][9] = "RST";
  cells[0][10] = "SBX";
  widths = natural_widths();
  widths[kRole] = 0;
  // The widest of the columns whose text may be cut, one character at a time,
  // down to their header or a few characters each: when that is enough.
  // Otherwise only LAST EXIT is, and the lines are cut (numbers and states
  // stay whole as far as they are shown).
  constexpr size_t kMinCut = 4;
  std::array<size_t, kColumns> narrowest = widths;
  for (size_t c : {kLastExit, kRtt, kState}) {
    narrowest[c] = std::min(widths[c], std::max(kMinCut, cells[0][c].size()));
  }
  if (Total(narrowest, 1) > width) {
    widths[kLastExit] = narrowest[kLastExit];
    std::string cut;
    for (absl::string_view line :
         absl::StrSplit(Render(cells, widths, 1), '\n', absl::SkipEmpty())) {
      absl::StrAppend(&cut, FitToWidth(line, width), "\n");
    }
    return cut;
  }
  while (Total(widths, 1) > width) {
    size_t widest = kColumns;
    for (size_t c : {kLastExit, kRtt, kState}) {
      if (widths[c] > narrowest[c] &&
          (widest == kColumns || widths[c] > widths[widest])) {
        widest = c;
      }
    }
    --widths[widest];
  }
  return Render(cells, widths, 1);
}

}  // namespace bulkhead
