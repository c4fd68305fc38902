// Internal to bulkhead (not installed; exported for its tests in a shared
// build): a role's SandboxPolicy as a macOS seatbelt profile (SBPL, the
// language of sandbox(7) that `sandbox_init_with_parameters` takes), for
// lockdown_mac.cc to apply in the helper before its role code runs.
//
// Portable: compiled and unit-tested on every platform; only applying the
// profile is macOS code. UNVERIFIED: no Mac has run this. The tests check the
// text (what is allowed, quoting, balanced parentheses), not what Sandbox.kext
// makes of it; operation names come from Chromium's profiles
// (sandbox/policy/mac/*.sb), not from a Mac that compiled them.
//
// The mapping, rule by rule (each rule in the profile carries its reason):
//   - `(deny default)` first, then the operations macOS allows even so
//     (process-info*, iokit-get-properties, nvram*) denied explicitly, as
//     Chromium's renderer profile does.
//   - What a process that only computes and talks over descriptors it
//     already holds needs: signals to itself, its own process information,
//     sysctl reads, and POSIX shared memory under the names
//     ipc/shared_memory_mac.cc gives its own regions ("/bh.<its pid>."),
//     never another process's. No mach-lookup
//     at all, no process-exec ever.
//   - `process-fork` only when the policy's allowlist has fork, vfork, clone
//     or clone3 outright. A clone allowed only for some flags (threads, the
//     Linux teardown keeper) is not a fork here.
//   - The filesystem view, each path as `(subpath ...)`, which for a file is
//     exactly the file (the generator does not look at the filesystem to
//     tell a file from a directory):
//       read-only: `file-read*` and `file-map-executable` (its code may be
//         mapped);
//       read-write: `file-read*` and `file-write*`, and, in a rule after all
//         the allows, `file-map-executable` denied, since it may sit inside
//         a read-only directory (SBPL lets the last matching rule decide, as
//         Chromium's profiles assume);
//       device: `file-read-data` and `file-write-data` on its `(literal ...)`;
//       tmpfs: every entry maps to ONE per-helper directory, passed as the
//         SBPL parameter kSeatbeltScratchDirParameter ("SCRATCH_DIR"). macOS
//         has no private mounts: the scratch is not at the entry's path, is
//         not empty unless the caller made it so, and has no size cap. The
//         profile names the parameter only when the policy has a tmpfs
//         entry; applied without it, it should fail to compile.
//     Seatbelt matches paths with symlinks resolved, so an entry reached
//     through one (/etc, /tmp and /var are symlinks into /private on macOS)
//     allows nothing: the view must name real paths.
//   - `(allow network*)` only when the policy says Network::kHost and the
//     net-ns layer is off. Both must agree, so that the policy a helper
//     rebuilds from its Welcome (which carries the layers, not the network
//     field) gets no network when its host said kNone. Wider than Linux's
//     kHost: network* includes Unix-domain sockets reached by path.
//
// Not in the profile: broker rules and pre-opened files (the host opens
// them; a descriptor the helper already holds is not checked by path, which
// Chromium relies on too), the environment (set at launch), resource limits
// and the cgroup (not SBPL), and the seccomp allowlist beyond fork.
#ifndef BULKHEAD_SANDBOX_SEATBELT_PROFILE_H_
#define BULKHEAD_SANDBOX_SEATBELT_PROFILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "bulkhead/export.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {

// The SBPL parameter holding the per-helper directory that stands for the
// policy's tmpfs entries: an absolute path with symlinks resolved (seatbelt
// matches resolved paths: /private/var/..., not /var/...).
inline constexpr char kSeatbeltScratchDirParameter[] = "SCRATCH_DIR";

// The profile for `policy`, for the helper whose pid is `own_pid` (its POSIX
// shared-memory regions are named "/bh.<own_pid>.<n>", and those are the only
// names it may open): "(version 1)" on the first line, "(deny default)" the
// first rule. InvalidArgument naming the path (C-escaped) for a view
// entry SBPL cannot express: not absolute, or holding a NUL or a line break;
// otherwise InvalidArgument for whatever CheckFilesystemView
// (filesystem_view.h) refuses, as Build() does, so that a policy that did not
// come from Build() cannot widen the profile (a "device" at /dev/disk0).
BULKHEAD_EXPORT absl::StatusOr<std::string> SeatbeltProfile(
    const SandboxPolicy& policy, int64_t own_pid);

// Whether SeatbeltProfile(policy) names kSeatbeltScratchDirParameter (the
// policy has a tmpfs entry), so that the caller must pass it.
BULKHEAD_EXPORT bool SeatbeltProfileNeedsScratchDir(
    const SandboxPolicy& policy);

// macOS only (defined in lockdown_mac.cc, read by sandbox_probe_mac.cc):
// what this process's LockDown applied.
struct SeatbeltInForce {
  bool applied = false;
  bool host_network = false;  // The profile allows network*.
};
SeatbeltInForce SeatbeltState();

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SEATBELT_PROFILE_H_
