// Platforms with no sandbox (the generic POSIX build) report that nothing is
// in force.
#include "sandbox/sandbox_probe.h"

namespace bulkhead::sandbox {

SandboxReport ProbeSandbox() {
  SandboxReport report;
  report.layers.emplace_back("platform sandbox", "not implemented");
  report.network = "host: no sandbox here";
  return report;
}

}  // namespace bulkhead::sandbox
