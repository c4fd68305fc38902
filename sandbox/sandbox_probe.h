// The sandbox status probe: run inside a helper, it reports which confinement
// layers are really in force, read back from the kernel rather than assumed
// (like chrome://sandbox). The per-thread layers (Linux: capabilities,
// no_new_privs, seccomp) are checked on every thread, not just the caller's:
// one thread that kept them is the layer off.
#ifndef BULKHEAD_SANDBOX_SANDBOX_PROBE_H_
#define BULKHEAD_SANDBOX_SANDBOX_PROBE_H_

#include <string>
#include <utility>
#include <vector>

#include "bulkhead/export.h"

namespace bulkhead::sandbox {

// One filesystem view entry (SandboxPolicy::filesystem) as the probe found
// it from inside the helper.
struct FilesystemEntryReport {
  std::string path;
  std::string kind;  // "ro", "rw", "tmpfs", "dev".
  bool in_force = false;
  std::string detail;  // What was tried and seen, or why not in force.
};

struct SandboxReport {
  // True only when every layer the platform offers is in force.
  bool sandboxed = false;
  // Layer name and what the probe saw, in a stable order, e.g. {"seccomp",
  // "off"}.
  std::vector<std::pair<std::string, std::string>> layers;
  // The filesystem view, in the policy's order (Linux; empty elsewhere and
  // without a view). An entry not in force makes `sandboxed` false.
  std::vector<FilesystemEntryReport> filesystem;
  // The network in force, as the helper finds it: "none: <detail>" when it is
  // in a network namespace of its own (nothing but its own loopback), "host:
  // <detail>" when it shares the host's (SandboxStatus::network).
  std::string network;
};

BULKHEAD_EXPORT SandboxReport ProbeSandbox();

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SANDBOX_PROBE_H_
