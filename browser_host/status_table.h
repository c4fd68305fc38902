// The task manager table browser_host prints: one row per helper.
#ifndef BULKHEAD_BROWSER_HOST_STATUS_TABLE_H_
#define BULKHEAD_BROWSER_HOST_STATUS_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace bulkhead {

struct HelperRow {
  std::string name;
  long long pid = 0;  // 0: no process (e.g. a role waiting for a restart).
  std::string role;
  std::string state;
  absl::Duration uptime;
  // Share of one CPU over the last sample period, when the OS could tell.
  std::optional<double> cpu_percent;
  std::optional<uint64_t> resident_bytes;
  std::optional<absl::Duration>
      round_trip;  // Last Ping round trip, if measured.
  // A Ping unanswered this long: shown instead of `round_trip` ("ping
  // overdue 3.2s").
  std::optional<absl::Duration> overdue_ping;
  // Frames per second over the last sample period, when there was one.
  std::optional<double> messages_in_per_second;
  std::optional<double> messages_out_per_second;
  int restarts = 0;  // Of the helper's role.
  std::string sandbox;
  std::string last_exit;  // How the role's previous helper ended, if any.
};

// A fixed-width text table with a header row, ready to print; ASCII only.
// `width` > 0: no line is longer. When the full table is wider, it narrows:
// shorter headers (MSG/S, RST, SBX), one blank between columns, no ROLE
// column (each helper's name starts with its role), and then the widest of
// STATE, RTT and LAST EXIT shortened, each cut cell ending in `kCutMark`
// (terminal.h); should that not be enough, each line is cut, ending in
// `kCutMark`. Nothing is cut without the mark.
std::string FormatStatusTable(const std::vector<HelperRow>& rows,
                              size_t width = 0);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_STATUS_TABLE_H_
