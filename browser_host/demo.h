// browser_host's default mode: start the configured helpers, give each a
// piece of work, show the live task manager (console.h) while a light
// workload keeps them busy, serve commands on stdin until `quit`, end of
// input, SIGINT or SIGTERM, and shut every helper down cleanly (a second
// SIGINT during that stops waiting and kills them).
#ifndef BULKHEAD_BROWSER_HOST_DEMO_H_
#define BULKHEAD_BROWSER_HOST_DEMO_H_

#include <cstdio>
#include <string>

#include "absl/time/time.h"
#include "browser_host/host_config.h"
#include "helper/role_registry.h"

namespace bulkhead {

struct DemoOptions {
  // How long a helper gets to exit after Shutdown, and again after SIGTERM.
  absl::Duration shutdown_grace = absl::Seconds(2);
  // Deadline for each piece of work and each ping.
  absl::Duration call_timeout = absl::Seconds(5);
  // How often the task manager table is refreshed.
  absl::Duration refresh_interval = absl::Seconds(1);
  // One JSON object per lifecycle event on `out` instead of the table
  // (json_events.h); everything else goes to stderr.
  bool json_events = false;
  // False: --no-sandbox.
  bool sandbox_helpers = true;
  // --trace: where to write a Chrome trace (host_trace.h) at exit; empty for
  // none. The caller checks beforehand that it can be written
  // (CreateTraceFile).
  std::string trace_path;
};

// The exit code after a second SIGINT cut the shutdown short (128 + SIGINT,
// as a shell reports a process SIGINT ended).
inline constexpr int kExitForced = 130;

// Returns the process exit code: 0 when every helper did its first piece of
// work and all stopped cleanly, kExitForced when a second SIGINT arrived during
// the shutdown, 1 otherwise. Output goes to `out`;
// diagnostics to stderr.
int RunDemo(const RoleRegistry& roles, const HostConfig& config,
            const DemoOptions& options, std::FILE* out);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_DEMO_H_
