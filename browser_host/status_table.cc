#include "browser_host/status_table.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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

std::string FormatStatusTable(const std::vector<HelperRow>& rows) {
  constexpr size_t kColumns = 12;
  const std::array<std::string, kColumns> header = {
      "HELPER", "PID", "ROLE",         "STATE",    "UPTIME",  "CPU%",
      "MEM",    "RTT", "MSG/S IN/OUT", "RESTARTS", "SANDBOX", "LAST EXIT"};
  std::vector<std::array<std::string, kColumns>> cells;
  cells.push_back(header);
  for (const HelperRow& row : rows) {
    cells.push_back(
        {row.name, row.pid == 0 ? "-" : absl::StrCat(row.pid), row.role,
         row.state, FormatUptime(row.uptime), FormatPercent(row.cpu_percent),
         FormatMemory(row.resident_bytes), FormatRoundTrip(row),
         FormatRates(row.messages_in_per_second, row.messages_out_per_second),
         absl::StrCat(row.restarts), row.sandbox,
         row.last_exit.empty() ? "-" : row.last_exit});
  }
  std::array<size_t, kColumns> width{};
  for (const auto& line : cells) {
    for (size_t c = 0; c < kColumns; ++c)
      width[c] = std::max(width[c], line[c].size());
  }
  std::string table;
  for (const auto& line : cells) {
    for (size_t c = 0; c < kColumns; ++c) {
      absl::StrAppend(&table, line[c]);
      if (c + 1 < kColumns) table.append(width[c] - line[c].size() + 2, ' ');
    }
    table.push_back('\n');
  }
  return table;
}

}  // namespace bulkhead
