// The live task manager's model: turns successive samples of the helpers
// into table rows with rates (CPU %, messages per second) and remembers how
// each role's previous helper ended. Pure apart from `SampleHelper`.
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_BROWSER_HOST_TASK_MANAGER_H_
#define BULKHEAD_BROWSER_HOST_TASK_MANAGER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "browser_host/status_table.h"
#include "host/exit_info.h"
#include "host/helper_process.h"

namespace bulkhead {

// One helper at one moment.
struct HelperSample {
  uint64_t id = 0;
  std::string name;
  std::string role;
  std::string state;
  int64_t pid = 0;
  absl::Duration uptime;
  std::optional<absl::Duration> cpu_time;  // When the OS could tell.
  std::optional<uint64_t> resident_bytes;
  std::optional<absl::Duration> round_trip;
  // HelperProcess::overdue_ping: set while a Ping waits past its interval.
  std::optional<absl::Duration> overdue_ping;
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  bool sandboxed = false;  // Launched inside the platform's sandbox.
  // The network its probe found in force ("none", "host"; empty before
  // Ready): a sandboxed helper on the host's network shows as "on+net".
  std::string network;
};

// Reads `helper` and its process's CPU time and resident memory.
HelperSample SampleHelper(HelperProcess& helper);

// A role the table shows even when none of its helpers is running.
struct RoleSummary {
  std::string role;
  int restarts = 0;
  bool failed = false;
  bool restart_pending = false;  // A replacement is scheduled.
};

class TaskManager {
 public:
  static constexpr absl::Duration kMinRatePeriod = absl::Milliseconds(250);

  // Remembers `exit` as its role's last exit.
  void OnExit(const ExitInfo& exit);

  // Rows for `samples`, taken at `now`: CPU % and message rates are the
  // change since the same helper's earlier sample (none in its first). A
  // sample less than `kMinRatePeriod` after that one keeps the rates it
  // had: a `status` right after a refresh would measure noise. A helper with
  // an overdue Ping is "unresponsive", with the Ping's wait instead of its
  // last good round trip. Each role of
  // `roles` without a sample gets a row of its own
  // ("restarting", "failed" or "stopped").
  std::vector<HelperRow> Rows(const std::vector<HelperSample>& samples,
                              const std::vector<RoleSummary>& roles,
                              absl::Time now);

 private:
  struct Previous {
    absl::Time at;
    std::optional<absl::Duration> cpu_time;
    uint64_t frames_in = 0;
    uint64_t frames_out = 0;
    // What the last long enough period measured.
    std::optional<double> cpu_percent;
    std::optional<double> in_per_second;
    std::optional<double> out_per_second;
  };
  std::map<uint64_t, Previous> previous_;         // By helper id.
  std::map<std::string, std::string> last_exit_;  // By role.
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_TASK_MANAGER_H_
