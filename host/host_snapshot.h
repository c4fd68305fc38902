// What an app can see of its host at one moment: each helper (pid, role,
// state, CPU, memory, calls and bytes in and out), each role (restarts, how
// its helpers last ended) and, added by their owners, each pool's section
// (queue, busy, done, failed by reason, latency). Plain values, copied out:
// a snapshot stays valid after the helpers it describes are gone, and may be
// handed to another thread (e.g. a metrics endpoint's).
//
//   HostSnapshot snapshot = TakeHostSnapshot(*host);
//   snapshot.pools.push_back(pool.Snapshot());  // A section of its own.
//   std::string text = WriteOpenMetrics(snapshot);  // host/openmetrics.h
//
// Cost (taken on the loop thread, which it holds meanwhile): copying a few
// counters per helper and, with `SnapshotOptions::process_usage` (the
// default), reading /proc/<pid>/stat and /proc/<pid>/statm once per running
// helper on Linux (one process query each on Windows): under 0.1 ms a helper
// in a debug build on a busy 2-core machine, measured on 2026-12-06
// (host_snapshot_test's ATakesFewMicrosecondsAHelper prints it). Those reads
// come from the kernel's counters of the process; nothing the helper does
// makes them wait. An app that snapshots often with many helpers can leave
// them out (then `cpu_time` and `resident_bytes` are unset).
#ifndef BULKHEAD_HOST_HOST_SNAPSHOT_H_
#define BULKHEAD_HOST_HOST_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "host/exit_info.h"
#include "host/helper_process.h"

namespace bulkhead {

class Host;
class Supervisor;

// One helper not yet reaped.
struct HelperSnapshot {
  uint64_t id = 0;
  std::string name;  // "<role>-<id>".
  std::string role;
  int64_t pid = 0;  // 0 until spawned.
  HelperProcess::State state = HelperProcess::State::kStarting;
  // Launched inside the platform's sandbox (HelperProcess::sandboxed).
  bool sandboxed = false;
  absl::Duration uptime;
  // What the OS says its process used (user + system) and holds resident;
  // unset when it could not tell (not spawned yet, already reaped, not
  // asked: SnapshotOptions::process_usage).
  std::optional<absl::Duration> cpu_time;
  std::optional<uint64_t> resident_bytes;
  // The app's calls to it (ipc::Channel::calls_started) and the calls still
  // waiting for an answer, bulkhead's own (HelperProcess::Ping, faults)
  // included; the heartbeat makes none (host/beat_watch.h).
  uint64_t calls_started = 0;
  uint64_t calls_pending = 0;
  // Frames (messages, replies and control) and their bytes, headers
  // included, to and from the helper.
  uint64_t messages_sent = 0;
  uint64_t messages_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  // Lines of its output not copied to the host's (output_lines_dropped).
  uint64_t output_lines_dropped = 0;
  // The last answered Ping's round trip.
  std::optional<absl::Duration> round_trip;
  // Set while its heartbeat's Ping is overdue: the helper is unresponsive.
  std::optional<absl::Duration> overdue_ping;
};

// One role: the roles with a helper now, a helper that ended, or a restart.
struct RoleSnapshot {
  std::string role;
  int helpers = 0;  // Not yet reaped.
  // Restarts decided by the host's restart policy (Host::restarts,
  // Host::role_failed) and by SnapshotOptions::supervisor.
  int restarts = 0;
  bool failed = false;
  // How its helpers ended, by kind, and the last one's ExitInfo.
  std::map<ExitKind, uint64_t> exits;
  std::optional<ExitInfo> last_exit;
};

// One pool's section, filled by the pool (e.g. a HelperPool's `Snapshot()`)
// and added to `HostSnapshot::pools` by whoever holds both.
struct PoolSnapshot {
  std::string name;  // Unique among a snapshot's pools.
  std::string role;
  uint64_t helpers = 0;      // Its helpers now.
  uint64_t queue_depth = 0;  // Tasks waiting for a helper.
  uint64_t busy = 0;         // Tasks on a helper now.
  uint64_t done = 0;         // Tasks that ended with their reply.
  // Tasks that ended otherwise, by reason (short stable words of the
  // pool's own: "deadline", "crashed", "poison", ...).
  std::map<std::string, uint64_t> failed;
  // How long its tasks took, queue included: quantiles (0 < q < 1) of a
  // recent window, and the count and sum of every task measured.
  std::map<double, absl::Duration> latency_quantiles;
  uint64_t latency_count = 0;
  absl::Duration latency_sum;
};

struct HostSnapshot {
  absl::Time taken_at;
  std::vector<HelperSnapshot> helpers;  // By id (launch order).
  std::vector<RoleSnapshot> roles;      // By name.
  std::vector<PoolSnapshot> pools;      // As added.
};

struct SnapshotOptions {
  // Ask the OS for each helper's CPU time and resident memory (see the cost
  // at the top).
  bool process_usage = true;
  // An app that restarts helpers through a Supervisor: its restarts and
  // failed roles count too (beside the host's own restart policy's). Not
  // owned; only used during the call.
  const Supervisor* supervisor = nullptr;
};

// The host's helpers and roles now. Thread: the host's loop thread (the
// host's rule); the result may go anywhere.
BULKHEAD_EXPORT HostSnapshot TakeHostSnapshot(Host& host,
                                              const SnapshotOptions& options);
BULKHEAD_EXPORT HostSnapshot TakeHostSnapshot(Host& host);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_HOST_SNAPSHOT_H_
