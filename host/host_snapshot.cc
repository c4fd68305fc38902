#include "host/host_snapshot.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/process_info.h"
#include "host/host.h"
#include "host/supervisor.h"

namespace bulkhead {

namespace {

HelperSnapshot SnapshotOf(HelperProcess& helper,
                          const SnapshotOptions& options) {
  HelperSnapshot snapshot;
  snapshot.id = helper.id();
  snapshot.name = helper.name();
  snapshot.role = helper.role();
  snapshot.pid = helper.pid();
  snapshot.state = helper.state();
  snapshot.sandboxed = helper.sandboxed();
  snapshot.uptime = helper.uptime();
  // A pid of 0 (not spawned yet) or of a helper reaped is nobody's to ask.
  if (options.process_usage && helper.pid() > 0 &&
      helper.state() != HelperProcess::State::kExited) {
    if (absl::StatusOr<ProcessUsage> usage = GetProcessUsage(helper.pid());
        usage.ok()) {
      snapshot.cpu_time = usage->cpu_time;
      snapshot.resident_bytes = usage->resident_bytes;
    }
  }
  const ipc::Channel& channel = helper.channel();
  snapshot.calls_started = channel.calls_started();
  snapshot.calls_pending = channel.pending_calls();
  snapshot.messages_sent = channel.frames_sent();
  snapshot.messages_received = channel.frames_received();
  snapshot.bytes_sent = channel.bytes_sent();
  snapshot.bytes_received = channel.bytes_received();
  snapshot.output_lines_dropped = helper.output_lines_dropped();
  snapshot.round_trip = helper.last_round_trip();
  snapshot.overdue_ping = helper.overdue_ping();
  return snapshot;
}

}  // namespace

HostSnapshot TakeHostSnapshot(Host& host, const SnapshotOptions& options) {
  HostSnapshot snapshot;
  snapshot.taken_at = absl::Now();
  std::map<std::string, RoleSnapshot, std::less<>> roles;
  auto role = [&roles](const std::string& name) -> RoleSnapshot& {
    RoleSnapshot& entry = roles[name];
    entry.role = name;
    return entry;
  };
  for (HelperProcess* helper : host.helpers()) {
    snapshot.helpers.push_back(SnapshotOf(*helper, options));
    ++role(helper->role()).helpers;
  }
  for (const auto& [name, exits] : host.role_exits()) {
    RoleSnapshot& entry = role(name);
    entry.exits = exits.by_kind;
    entry.last_exit = exits.last;
  }
  for (auto& [name, entry] : roles) {
    entry.restarts = host.restarts(name);
    entry.failed = host.role_failed(name);
    if (options.supervisor != nullptr) {
      entry.restarts += options.supervisor->restarts(name);
      entry.failed = entry.failed || options.supervisor->failed(name);
    }
    snapshot.roles.push_back(std::move(entry));
  }
  return snapshot;
}

HostSnapshot TakeHostSnapshot(Host& host) {
  return TakeHostSnapshot(host, SnapshotOptions());
}

}  // namespace bulkhead
