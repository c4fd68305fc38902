#include "browser_host/task_manager.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/process_info.h"

namespace bulkhead {

HelperSample SampleHelper(HelperProcess& helper) {
  HelperSample sample;
  sample.id = helper.id();
  sample.name = helper.name();
  sample.role = helper.role();
  sample.state = HelperStateName(helper.state());
  sample.pid = helper.pid();
  sample.uptime = helper.uptime();
  if (absl::StatusOr<ProcessUsage> usage = GetProcessUsage(helper.pid());
      usage.ok()) {
    sample.cpu_time = usage->cpu_time;
    sample.resident_bytes = usage->resident_bytes;
  }
  sample.round_trip = helper.last_round_trip();
  sample.overdue_ping = helper.overdue_ping();
  sample.frames_in = helper.channel().frames_received();
  sample.frames_out = helper.channel().frames_sent();
  sample.sandboxed = helper.sandboxed();
  const std::string& network = helper.sandbox_status().network();
  sample.network = network.substr(0, network.find(':'));
  return sample;
}

void TaskManager::OnExit(const ExitInfo& exit) {
  last_exit_[exit.role] = exit.Describe();
  previous_.erase(exit.helper_id);
}

std::vector<HelperRow> TaskManager::Rows(
    const std::vector<HelperSample>& samples,
    const std::vector<RoleSummary>& roles, absl::Time now) {
  std::map<uint64_t, Previous> next;
  std::set<std::string> roles_seen;
  std::vector<HelperRow> rows;
  auto restarts_of = [&roles](const std::string& role) {
    for (const RoleSummary& summary : roles) {
      if (summary.role == role) return summary.restarts;
    }
    return 0;
  };
  auto last_exit_of = [this](const std::string& role) {
    auto it = last_exit_.find(role);
    return it == last_exit_.end() ? std::string() : it->second;
  };
  for (const HelperSample& sample : samples) {
    HelperRow row;
    row.name = sample.name;
    row.pid = sample.pid;
    row.role = sample.role;
    row.state = sample.state;
    row.uptime = sample.uptime;
    row.resident_bytes = sample.resident_bytes;
    row.round_trip = sample.round_trip;
    if (sample.overdue_ping.has_value()) {
      row.state = "unresponsive";
      row.overdue_ping = sample.overdue_ping;
    }
    row.restarts = restarts_of(sample.role);
    // "+net": on the host's network (short: the table must fit 80 columns).
    row.sandbox = sample.sandboxed ? "on" : "off";
    if (sample.sandboxed && sample.network == "host") {
      absl::StrAppend(&row.sandbox, "+net");
    }
    row.last_exit = last_exit_of(sample.role);
    Previous baseline;
    baseline.at = now;
    baseline.cpu_time = sample.cpu_time;
    baseline.frames_in = sample.frames_in;
    baseline.frames_out = sample.frames_out;
    if (auto it = previous_.find(sample.id); it != previous_.end()) {
      const Previous& before = it->second;
      const absl::Duration period = now - before.at;
      if (period < kMinRatePeriod) {
        baseline = before;  // Measure from the older sample next time.
      } else {
        const double seconds = absl::ToDoubleSeconds(period);
        if (sample.cpu_time.has_value() && before.cpu_time.has_value()) {
          baseline.cpu_percent = std::max(
              0.0, absl::ToDoubleSeconds(*sample.cpu_time - *before.cpu_time) /
                       seconds * 100.0);
        }
        // Counters only grow; a smaller one would be a different channel.
        if (sample.frames_in >= before.frames_in &&
            sample.frames_out >= before.frames_out) {
          baseline.in_per_second =
              static_cast<double>(sample.frames_in - before.frames_in) /
              seconds;
          baseline.out_per_second =
              static_cast<double>(sample.frames_out - before.frames_out) /
              seconds;
        }
      }
    }
    row.cpu_percent = baseline.cpu_percent;
    row.messages_in_per_second = baseline.in_per_second;
    row.messages_out_per_second = baseline.out_per_second;
    next[sample.id] = baseline;
    roles_seen.insert(sample.role);
    rows.push_back(std::move(row));
  }
  for (const RoleSummary& summary : roles) {
    if (roles_seen.contains(summary.role)) continue;
    HelperRow row;
    row.name = summary.role;
    row.role = summary.role;
    row.state = summary.failed            ? "failed"
                : summary.restart_pending ? "restarting"
                                          : "stopped";
    row.restarts = summary.restarts;
    row.sandbox = "-";
    row.last_exit = last_exit_of(summary.role);
    rows.push_back(std::move(row));
  }
  previous_ = std::move(next);
  return rows;
}

}  // namespace bulkhead
