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
//
// A policy may start from a preset and add to it, and may give the helper a
// filesystem view (below):
//
//   SandboxPolicyBuilder::FromPolicy(PresetForRole("renderer"))
//       .AllowSyscall("fork")
//       .AddReadOnly("/usr/share/fonts")
//       .AddTmpfs("/scratch", 16 << 20)
//       .Build();
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
  kChroot,            // Into an empty, read-only root (holding the view).
  kDropCapabilities,  // All sets, and the bounding set.
  kNoNewPrivs,
  kNotDumpable,     // PR_SET_DUMPABLE 0: no ptrace, no /proc/<pid>/mem.
  kResourceLimits,  // Address space, files, processes, core 0, CPU.
  kLandlock,        // Filesystem access to the view only; abstract sockets,
                    // signals scoped.
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

// One entry of a helper's filesystem view: what it sees, at the same path,
// inside its otherwise empty root. Enforced on Linux only, where the helper
// builds the view in its own mount namespace (bind mounts opened without
// following symlinks, then the root made read-only) and Landlock allows
// exactly the same set where the kernel has it. Other platforms carry the
// entries as data; Windows confines nothing by them (its token level, not the
// view, decides what the helper may open: windows_confinement.h), and macOS
// maps them onto its seatbelt profile (seatbelt_profile.h).
struct FilesystemEntry {
  enum class Kind {
    kReadOnly,   // A file or directory, read-only; its code may be mapped.
    kReadWrite,  // A file or directory, writable; nothing in it executes.
    kTmpfs,      // A private, empty, size-capped scratch directory.
    kDevice,     // /dev/null, /dev/zero, /dev/urandom or /dev/random.
  };
  Kind kind = Kind::kReadOnly;
  // Absolute, normalised ("/usr/share/fonts"; no "." or ".." component, no
  // trailing or doubled '/').
  std::string path;
  uint64_t size_bytes = 0;  // kTmpfs only: its cap.

  bool operator==(const FilesystemEntry&) const = default;
};

// "ro", "rw", "tmpfs", "dev": stable names for tables, JSON and config.
BULKHEAD_EXPORT const char* FilesystemKindName(FilesystemEntry::Kind kind);
BULKHEAD_EXPORT std::optional<FilesystemEntry::Kind> FilesystemKindFromName(
    absl::string_view name);

// The largest tmpfs a view may have: more is a mistake (a helper that may fill
// memory with it), not a cap.
inline constexpr uint64_t kMaxTmpfsBytes = uint64_t{16} << 30;
// A file or directory tree the file broker opens for the helper
// (HelperContext::OpenFile, host/file_broker.h). `path` is absolute, without
// `.`/`..` components or a trailing separator. `prefix`: everything beneath
// the directory `path` (not the directory itself); otherwise exactly the file
// `path`. `write`: opening for writing (and creating, truncating, appending)
// is allowed too; otherwise read-only.
struct BrokerRule {
  std::string path;
  bool prefix = false;
  bool write = false;
};

// A file the host opens itself at launch and hands the helper under `name`
// (HelperContext::TakeFile): absolute `path`, opened without following a
// symbolic link in its last component, read-only unless `write`. A directory
// is refused for a sandboxed helper (its descriptor would lead out of the
// empty root).
struct PreopenedFile {
  std::string name;
  std::string path;
  bool write = false;
};
// The longest PreopenedFile::name Build() accepts.
inline constexpr size_t kMaxPreopenedNameLength = 64;

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
  // The filesystem view (see FilesystemEntry); empty: the helper sees an
  // empty read-only root, and every path-based call fails.
  std::vector<FilesystemEntry> filesystem;
  // What the file broker may open for the helper, decided by the host on
  // each request; empty: every request is refused.
  std::vector<BrokerRule> broker_rules;
  // Files the host opens and hands the helper at launch.
  std::vector<PreopenedFile> preopened;
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
  // Starts from `base` (a preset, say) to add to it; Build() checks the whole
  // again.
  static SandboxPolicyBuilder FromPolicy(const SandboxPolicy& base);

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

  // The filesystem view (FilesystemEntry), each at the same path inside the
  // helper's root. Read-only entries may be read and their code mapped
  // (a plugin's shared library); read-write ones written, not executed; a
  // tmpfs is empty at launch, private to the helper, and holds at most
  // `size_bytes` (1 byte to kMaxTmpfsBytes); a device is bound from the
  // host's node. A non-empty view lets the open/stat family of system calls
  // through the seccomp filter (the write family too when something is
  // writable); Landlock allows exactly the view. At launch the host refuses a
  // path that does not exist or whose resolution goes through a symlink.
  SandboxPolicyBuilder& AddReadOnly(absl::string_view path);
  SandboxPolicyBuilder& AddReadWrite(absl::string_view path);
  SandboxPolicyBuilder& AddTmpfs(absl::string_view path, uint64_t size_bytes);
  SandboxPolicyBuilder& AddDevice(absl::string_view path);
  // The file broker's rules (BrokerRule): the file `path`, or every file
  // beneath the directory `dir`, for reading, or for reading and writing.
  SandboxPolicyBuilder& BrokerAllowRead(absl::string_view path);
  SandboxPolicyBuilder& BrokerAllowReadUnder(absl::string_view dir);
  SandboxPolicyBuilder& BrokerAllowWrite(absl::string_view path);
  SandboxPolicyBuilder& BrokerAllowWriteUnder(absl::string_view dir);
  // Hands the helper the file `path` at launch as `name` (PreopenedFile).
  SandboxPolicyBuilder& PreOpen(absl::string_view name, absl::string_view path,
                                bool write = false);
  // kHost turns the net-ns layer off and allows the internet families'
  // socket calls; kNone requires the net-ns layer (see Network).
  SandboxPolicyBuilder& SetNetwork(Network network);
  // The helper's environment (SandboxPolicy::environment): NAME=value, or the
  // host's value of NAME when it has one.
  SandboxPolicyBuilder& SetEnv(absl::string_view name, absl::string_view value);
  SandboxPolicyBuilder& PassEnv(absl::string_view name);

  // InvalidArgument for a system call this platform does not know, one of
  // CrossProcessCalls() allowed, an argument index outside 0-5, a name listed
  // twice in conflicting ways,
  // seccomp without no_new_privs (the kernel refuses a filter from an
  // unprivileged process without it), or seccomp with an empty allowlist.
  // For the view, InvalidArgument naming the path for: a relative or
  // unnormalised path ("." or ".." components, "//", a trailing '/'), "/"
  // itself, a path listed twice, an entry inside a tmpfs or a device, a path
  // under /proc, /sys or /dev other than the four devices, a tmpfs of size 0
  // or above kMaxTmpfsBytes, a size on another kind, or a device not among
  // /dev/null, /dev/zero, /dev/urandom, /dev/random; and a view with the
  // chroot layer off (there is no root to build it in). Also: a broker rule
  // or pre-opened file whose path is not absolute or has `.`, `..` or empty
  // components, a pre-opened name that is empty, longer than 64 characters
  // or given twice; a network that contradicts the layers or the allowlist
  // (kNone with the net-ns layer off or a socket call allowed; kHost with the
  // net-ns layer on); an environment entry whose name is empty or holds '='
  // or NUL.
  absl::StatusOr<SandboxPolicy> Build() const;

 private:
  SandboxPolicy policy_;
};

// Whether the policy lets the helper start processes: its allowlist has fork,
// vfork, clone or clone3 outright. A clone allowed only for some flags
// (threads, the Linux teardown keeper) is not a fork. What macOS's seatbelt
// profile and Windows' job (windows_confinement.h) go by.
BULKHEAD_EXPORT bool AllowsFork(const SandboxPolicy& policy);

// Whether the helper reaches the host's network: Network::kHost and the net-ns
// layer off. Both must agree, so that the policy a helper rebuilds from its
// Welcome (which carries the layers) gets no network when its host said kNone.
BULKHEAD_EXPORT bool ReachesHostNetwork(const SandboxPolicy& policy);

// `policy` with its network changed as SandboxPolicyBuilder::SetNetwork
// changes it: kHost turns the net-ns layer off and allows the socket calls;
// kNone takes them out again and requires the net-ns layer if it was off.
BULKHEAD_EXPORT SandboxPolicy WithNetwork(SandboxPolicy policy,
                                          Network network);

// InvalidArgument, starting with `where`, for an environment entry (as in
// SandboxPolicy::environment) whose name is empty or that holds a NUL.
BULKHEAD_EXPORT absl::Status CheckEnvironmentEntries(
    absl::string_view where, const std::vector<std::string>& entries);

// The system calls no policy may allow: they reach another process through
// a descriptor or a request the seccomp filter cannot check (ptrace,
// pidfd_send_signal, pidfd_getfd, process_madvise, process_mrelease), or
// would give the helper's pid, which its filter binds, to a sibling while a
// process the helper started still holds that filter (setsid).
// Build() refuses a policy that allows one, and the compiled filter refuses
// them whatever a policy's data says. The calls that name a process by its
// pid (kill, tgkill, process_vm_readv, ...: seccomp_program.h lists them)
// may be allowed, and the filter then lets them through for the caller's own
// process only.
BULKHEAD_EXPORT std::vector<std::string> CrossProcessCalls();

// Every layer off, the host's network: what --no-sandbox launches with.
BULKHEAD_EXPORT SandboxPolicy NoSandboxPolicy();

// The built-in roles' presets: `renderer` strictest (no filesystem view, no
// network, tight allowlist), `gpu` and `utility` a little looser, `network`
// has Network::kHost but no filesystem. Any other role gets `renderer`'s.
// None names an environment variable: their helpers get only the runtime's.
BULKHEAD_EXPORT SandboxPolicy PresetForRole(absl::string_view role);

// "renderer", "gpu", "utility", "network": the preset names.
BULKHEAD_EXPORT std::vector<std::string> PresetNames();

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SANDBOX_POLICY_H_
