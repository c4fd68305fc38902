// The status table browser_host prints: one row per helper.
#ifndef BULKHEAD_BROWSER_HOST_STATUS_TABLE_H_
#define BULKHEAD_BROWSER_HOST_STATUS_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace bulkhead {

struct HelperRow {
  std::string name;
  long long pid = 0;
  std::string role;
  std::string state;
  absl::Duration uptime;
  std::optional<absl::Duration>
      round_trip;  // Last Ping round trip, if measured.
  unsigned long long frames_sent = 0;
  unsigned long long frames_received = 0;
  int restarts = 0;                        // Of the helper's role.
  std::optional<absl::Duration> cpu_time;  // When the OS could tell.
  std::optional<uint64_t> resident_bytes;
  std::string sandbox;
};

// A fixed-width text table with a header row, ready to print.
std::string FormatStatusTable(const std::vector<HelperRow>& rows);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_STATUS_TABLE_H_
