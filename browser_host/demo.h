// browser_host's default mode: start one helper per built-in role, give each a
// piece of work, print the results and a status table, then serve commands on
// stdin until `quit`, end of input, SIGINT or SIGTERM, and shut every helper
// down cleanly.
#ifndef BULKHEAD_BROWSER_HOST_DEMO_H_
#define BULKHEAD_BROWSER_HOST_DEMO_H_

#include <cstdio>

#include "absl/time/time.h"
#include "helper/role_registry.h"

namespace bulkhead {

struct DemoOptions {
  // How long a helper gets to exit after Shutdown, and again after SIGTERM.
  absl::Duration shutdown_grace = absl::Seconds(2);
  // Deadline for each piece of work and each ping.
  absl::Duration call_timeout = absl::Seconds(5);
  // False: --no-sandbox.
  bool sandbox_helpers = true;
};

// Returns the process exit code: 0 when every helper did its work and stopped
// cleanly, 1 otherwise. Output goes to `out`; diagnostics to stderr.
int RunDemo(const RoleRegistry& roles, const DemoOptions& options,
            std::FILE* out);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_DEMO_H_
