// What a sandboxed helper may do, as data: which confinement layers apply and
// whether each is required or best effort, the system calls it may make, and
// its resource limits. Built with SandboxPolicyBuilder (sandbox2's style);
// PresetForRole gives the built-in roles' presets.
//
//   absl::StatusOr<SandboxPolicy> policy =
//       SandboxPolicyBuilder("my-filter")
//           .AllowBaseRuntime()
//           .AllowSyscall("getrandom")
//           .BestEffort(Layer::kLandlock)
//           .SetOpenFilesLimit(32)
//           .Build();
//
// A required layer the kernel refuses fails the launch with a Status naming
// the layer; a best-effort layer that is missing is reported by the probe.
#ifndef BULKHEAD_SANDBOX_SANDBOX_POLICY_H_
#define BULKHEAD_SANDBOX_SANDBOX_POLICY_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead::sandbox {

// In the order they are applied: namespaces at launch, then the helper's own
// lockdown just before it reports Ready.
enum class Layer {
  kUserNamespace,
  kPidNamespace,
  kNetNamespace,
  kMountNamespace,
  kIpcNamespace,
  kUtsNamespace,
  kCloseFds,          // Every fd but stdio and those the runtime names.
  kChroot,            // Into an empty, read-only directory.
  kDropCapabilities,  // All sets, and the bounding set.
  kNoNewPrivs,
  kNotDumpable,     // PR_SET_DUMPABLE 0: no ptrace, no /proc/<pid>/mem.
  kResourceLimits,  // Address space, files, processes, core 0, CPU.
  kLandlock,        // No filesystem access; abstract sockets, signals scoped.
  kCgroup,          // memory.max / pids.max where a cgroup is writable.
  kSeccomp,         // The system-call allowlist.
};
inline constexpr int kLayerCount = static_cast<int>(Layer::kSeccomp) + 1;

// "user-ns", "seccomp", ...: stable names for tables, JSON and errors.
BULKHEAD_EXPORT const char* LayerName(Layer layer);
BULKHEAD_EXPORT std::optional<Layer> LayerFromName(absl::string_view name);

enum class Requirement { kOff, kBestEffort, kRequired };
BULKHEAD_EXPORT const char* RequirementName(Requirement requirement);

// Zero means "no limit" for each field.
struct ResourceLimits {
  uint64_t address_space_bytes = 0;
  uint64_t open_files = 0;
  uint64_t processes = 0;  // RLIMIT_NPROC, per user: counts the user's others.
  uint64_t cpu_seconds = 0;
  // The cgroup's memory.max and pids.max, when the cgroup layer applies.
  uint64_t cgroup_memory_bytes = 0;
  uint64_t cgroup_pids = 0;
};

// A system call the filter lets through only for some first-argument values
// (e.g. clone only with CLONE_THREAD, prctl only for PR_GET_*).
struct ArgumentRule {
  std::string syscall;
  int arg = 0;  // Which argument, 0-5.
  // Allowed when (arg & mask) == value for any of the pairs; otherwise the
  // call is a violation.
  std::vector<std::pair<uint64_t, uint64_t>> allowed_masked_values;
};

// Which network a helper reaches. kNone: its own, empty network namespace
// (the net-ns layer on) and no call that makes a socket (the channel is made
// by the host, so the runtime needs none). kHost: the host's network
// namespace (net-ns off) and the internet families' socket calls allowed
// (AF_INET, AF_INET6; not AF_UNIX, whose abstract sockets are the host's).
enum class Network { kNone, kHost };
// "none", "host": for tables, JSON and the text config.
BULKHEAD_EXPORT const char* NetworkName(Network network);
BULKHEAD_EXPORT std::optional<Network> NetworkFromName(absl::string_view name);

// What the filter does with a call outside the allowlist.
enum class ViolationAction {
  kTrap,  // SIGSYS: the helper dies and the host reports kSandboxViolation.
  // Learning mode: every call is let through and recorded (seccomp user
  // notification); see LearnedSyscalls in lockdown.h.
  kLearn,
};

struct BULKHEAD_EXPORT SandboxPolicy {
  std::string name;
  std::array<Requirement, kLayerCount> layers{};
  // System calls allowed outright, by name.
  std::vector<std::string> allowed_syscalls;
  std::vector<ArgumentRule> argument_rules;
  // Calls that fail with this errno instead of trapping, for library code that
  // probes and copes (clone3 -> ENOSYS makes glibc fall back to clone).
  std::vector<std::pair<std::string, int>> errno_syscalls;
  ViolationAction violation_action = ViolationAction::kTrap;
  ResourceLimits limits;
  // The one source of truth for the network; see Network.
  Network network = Network::kNone;
  // The helper's environment, on every launch path (sandboxed or not, exec'd
  // or forked): "NAME=value" sets NAME, "NAME" passes the host's value when
  // the host has one. Nothing else of the host's environment reaches the
  // helper but the few variables its runtime needs (host/launch/
  // helper_environment.h lists them and says why).
  std::vector<std::string> environment;

  Requirement requirement(Layer layer) const {
    return layers[static_cast<int>(layer)];
  }
  bool enabled(Layer layer) const {
    return requirement(layer) != Requirement::kOff;
  }
  // True when no layer is enabled (a --no-sandbox launch).
  bool disabled() const;
};

class BULKHEAD_EXPORT SandboxPolicyBuilder {
 public:
  // Starts with every layer required and an empty allowlist.
  explicit SandboxPolicyBuilder(std::string name);

  SandboxPolicyBuilder& Require(Layer layer);
  SandboxPolicyBuilder& BestEffort(Layer layer);
  SandboxPolicyBuilder& Disable(Layer layer);

  // What every helper's runtime needs after lockdown: the event loop, memory,
  // time, signals, threads, its own process queries, shared memory; clone
  // only for threads, clone3 failing with ENOSYS (glibc falls back to clone).
  SandboxPolicyBuilder& AllowBaseRuntime();
  SandboxPolicyBuilder& AllowSyscall(absl::string_view name);
  SandboxPolicyBuilder& AllowSyscalls(std::initializer_list<const char*> names);
  // Names this architecture lacks (e.g. `open` on arm64) are skipped: for
  // lists written for several architectures.
  SandboxPolicyBuilder& AllowSyscallsIfPresent(
      std::initializer_list<const char*> names);
  // Allowed when (argument `arg` & mask) == value; may be given several times
  // for one call, any match allows it.
  SandboxPolicyBuilder& AllowSyscallIfArg(absl::string_view name, int arg,
                                          uint64_t mask, uint64_t value);
  SandboxPolicyBuilder& FailSyscallWith(absl::string_view name, int error);
  SandboxPolicyBuilder& SetViolationAction(ViolationAction action);

  SandboxPolicyBuilder& SetAddressSpaceLimit(uint64_t bytes);
  SandboxPolicyBuilder& SetOpenFilesLimit(uint64_t count);
  SandboxPolicyBuilder& SetProcessLimit(uint64_t count);
  SandboxPolicyBuilder& SetCpuSecondsLimit(uint64_t seconds);
  SandboxPolicyBuilder& SetCgroupLimits(uint64_t memory_bytes, uint64_t pids);

  // kHost turns the net-ns layer off and allows the internet families'
  // socket calls; kNone requires the net-ns layer (see Network).
  SandboxPolicyBuilder& SetNetwork(Network network);
  // The helper's environment (SandboxPolicy::environment): NAME=value, or the
  // host's value of NAME when it has one.
  SandboxPolicyBuilder& SetEnv(absl::string_view name, absl::string_view value);
  SandboxPolicyBuilder& PassEnv(absl::string_view name);

  // InvalidArgument for a system call this platform does not know, an
  // argument index outside 0-5, a name listed twice in conflicting ways,
  // seccomp without no_new_privs (the kernel refuses a filter from an
  // unprivileged process without it), seccomp with an empty allowlist, a
  // network that contradicts the layers or the allowlist (kNone with the
  // net-ns layer off or a socket call allowed; kHost with the net-ns layer
  // on), or an environment entry whose name is empty or holds '=' or NUL.
  absl::StatusOr<SandboxPolicy> Build() const;

 private:
  SandboxPolicy policy_;
};

// `policy` with its network changed as SandboxPolicyBuilder::SetNetwork
// changes it: kHost turns the net-ns layer off and allows the socket calls;
// kNone takes them out again and requires the net-ns layer if it was off.
BULKHEAD_EXPORT SandboxPolicy WithNetwork(SandboxPolicy policy,
                                          Network network);

// InvalidArgument, starting with `where`, for an environment entry (as in
// SandboxPolicy::environment) whose name is empty or that holds a NUL.
BULKHEAD_EXPORT absl::Status CheckEnvironmentEntries(
    absl::string_view where, const std::vector<std::string>& entries);

// Every layer off, the host's network: what --no-sandbox launches with.
BULKHEAD_EXPORT SandboxPolicy NoSandboxPolicy();

// The built-in roles' presets: `renderer` strictest (no filesystem, no
// network, tight allowlist), `gpu` and `utility` a little looser, `network`
// has Network::kHost but no filesystem. Any other role gets `renderer`'s.
// None names an environment variable: their helpers get only the runtime's.
BULKHEAD_EXPORT SandboxPolicy PresetForRole(absl::string_view role);

// "renderer", "gpu", "utility", "network": the preset names.
BULKHEAD_EXPORT std::vector<std::string> PresetNames();

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SANDBOX_POLICY_H_
