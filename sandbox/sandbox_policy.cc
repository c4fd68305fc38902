#include "sandbox/sandbox_policy.h"

#include <algorithm>
#include <cerrno>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sandbox/filesystem_view.h"
#include "sandbox/sandbox_policy_files.h"
#include "sandbox/syscall_table.h"

namespace bulkhead::sandbox {
namespace {

constexpr const char* kLayerNames[kLayerCount] = {
    "user-ns",      "pid-ns",    "net-ns",   "mount-ns",  "ipc-ns",
    "uts-ns",       "close-fds", "chroot",   "drop-caps", "no-new-privs",
    "not-dumpable", "rlimits",   "landlock", "cgroup",    "seccomp"};

// Linux values, spelled out so that policies are data on every platform.
constexpr uint64_t kCloneThread = 0x00010000;
// CLONE_VM | CLONE_UNTRACED, no exit signal: exactly the teardown keeper's.
constexpr uint64_t kCloneKeeper = 0x00000100 | 0x00800000;
constexpr uint64_t kSchedIdle = 5;
constexpr uint64_t kPrSetName = 15, kPrGetName = 16, kPrGetDumpable = 3,
                   kPrGetSeccomp = 21, kPrGetNoNewPrivs = 39;
constexpr uint64_t kAfInet = 2, kAfInet6 = 10;
constexpr uint64_t kTcgets = 0x5401, kFionread = 0x541B, kFionbio = 0x5421,
                   kFioclex = 0x5451;

bool Contains(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

constexpr const char* kDevices[] = {"/dev/null", "/dev/zero", "/dev/urandom",
                                    "/dev/random"};

// Whether `path` is `dir` or below it (both normalised).
bool IsAtOrUnder(absl::string_view path, absl::string_view dir) {
  return path == dir || (absl::StartsWith(path, dir) &&
                         path.size() > dir.size() && path[dir.size()] == '/');
}

absl::Status CheckEntry(const FilesystemEntry& entry) {
  const std::string& path = entry.path;
  auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("filesystem view entry '", path, "' (",
                     FilesystemKindName(entry.kind), "): ", why));
  };
  if (path.empty()) return refuse("empty path");
  if (path.front() != '/') return refuse("not an absolute path");
  if (path == "/") return refuse("the root itself cannot be an entry");
  if (path.back() == '/') return refuse("trailing '/'");
  if (path.find('\0') != std::string::npos) return refuse("NUL in the path");
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(path).substr(1), '/')) {
    if (part.empty()) return refuse("empty component ('//')");
    if (part == "." || part == "..") {
      return refuse("'.' and '..' components are not allowed");
    }
  }
  const bool device_path = std::find(std::begin(kDevices), std::end(kDevices),
                                     path) != std::end(kDevices);
  if (entry.kind == FilesystemEntry::Kind::kDevice) {
    if (!device_path) {
      return refuse(
          "the only devices are /dev/null, /dev/zero, /dev/urandom and "
          "/dev/random");
    }
  } else if (IsAtOrUnder(path, "/dev")) {
    return refuse("under /dev only the four devices, each with AddDevice");
  }
  if (IsAtOrUnder(path, "/proc") || IsAtOrUnder(path, "/sys")) {
    return refuse("/proc and /sys are the host's, never in a view");
  }
  if (entry.kind == FilesystemEntry::Kind::kTmpfs) {
    if (entry.size_bytes == 0) return refuse("a tmpfs of size 0");
    if (entry.size_bytes > kMaxTmpfsBytes) {
      return refuse(absl::StrCat("a tmpfs of ", entry.size_bytes,
                                 " bytes (at most ", kMaxTmpfsBytes, ")"));
    }
  } else if (entry.size_bytes != 0) {
    return refuse("only a tmpfs has a size");
  }
  return absl::OkStatus();
}

// Two entries on one path, or one inside the other: only a read-write entry
// inside a read-only directory makes sense (a cache in a data tree). Anything
// else is a duplicate, would hide the outer entry's meaning (read-only inside
// read-write: Landlock, which adds rules up, would let it be written), or
// would need a mount point made inside a tmpfs or a device.
absl::Status CheckPair(const FilesystemEntry& a, const FilesystemEntry& b) {
  if (a.path == b.path) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filesystem view entry '", a.path, "' listed twice (",
        FilesystemKindName(a.kind), " and ", FilesystemKindName(b.kind), ")"));
  }
  const FilesystemEntry* outer = &a;
  const FilesystemEntry* inner = &b;
  if (IsAtOrUnder(a.path, b.path)) std::swap(outer, inner);
  if (!IsAtOrUnder(inner->path, outer->path)) return absl::OkStatus();
  if (outer->kind == FilesystemEntry::Kind::kReadOnly &&
      inner->kind == FilesystemEntry::Kind::kReadWrite) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "filesystem view entry '", inner->path, "' (",
      FilesystemKindName(inner->kind), ") inside '", outer->path, "' (",
      FilesystemKindName(outer->kind),
      "): only a read-write entry may be inside another, a read-only one"));
}

// A view is reached by path: the open/stat family goes through the filter,
// and the write family when something is writable. Without a view these
// calls fail with EACCES (AllowBaseRuntime) or trap; with one they are let
// through, and the mounts and Landlock decide. Not symlinkat or linkat: a
// link the helper plants in a read-write bind would be followed by the host.
// Not chmod, and no set-id bit in open's mode: the helper's files are the
// host user's on the host, so a set-user-id file it made there would run as
// that user for anyone.
void AllowViewSyscalls(SandboxPolicy& policy) {
  if (policy.filesystem.empty()) return;
  const bool writable =
      std::any_of(policy.filesystem.begin(), policy.filesystem.end(),
                  [](const FilesystemEntry& entry) {
                    return entry.kind == FilesystemEntry::Kind::kReadWrite ||
                           entry.kind == FilesystemEntry::Kind::kTmpfs;
                  });
  std::vector<const char*> names = {
      "newfstatat", "fstat",      "stat",       "lstat",      "statx",
      "lseek",      "getdents64", "getdents",   "readlinkat", "readlink",
      "access",     "faccessat",  "faccessat2", "getcwd",     "chdir",
      "fchdir",     "fadvise64",  "flock"};
  if (writable) {
    for (const char* name :
         {"mkdirat", "mkdir", "unlinkat", "unlink", "rmdir", "renameat2",
          "renameat", "rename", "ftruncate", "truncate", "fallocate", "fsync",
          "fdatasync", "utimensat"}) {
      names.push_back(name);
    }
  }
  auto present = [](const char* name) {
    return !SyscallTableAvailable() || SyscallNumber(name).has_value();
  };
  auto no_errno = [&](absl::string_view name) {
    policy.errno_syscalls.erase(
        std::remove_if(policy.errno_syscalls.begin(),
                       policy.errno_syscalls.end(),
                       [&](const auto& rule) { return rule.first == name; }),
        policy.errno_syscalls.end());
  };
  auto by_argument = [&](absl::string_view name) -> ArgumentRule* {
    for (ArgumentRule& rule : policy.argument_rules) {
      if (rule.syscall == name) return &rule;
    }
    return nullptr;
  };
  for (const char* name : names) {
    if (!present(name)) continue;
    no_errno(name);
    if (by_argument(name) == nullptr &&
        !Contains(policy.allowed_syscalls, name)) {
      policy.allowed_syscalls.emplace_back(name);
    }
  }
  // open(path, flags, mode) and openat(dir, path, flags, mode): any mode
  // without S_ISUID | S_ISGID (glibc passes 0 when nothing is created).
  constexpr uint64_t kSetIdBits = 06000;
  for (const auto& [name, mode_arg] :
       {std::pair<const char*, int>{"openat", 3}, {"open", 2}}) {
    if (!present(name) || Contains(policy.allowed_syscalls, name)) continue;
    no_errno(name);
    ArgumentRule* rule = by_argument(name);
    if (rule == nullptr) {
      policy.argument_rules.push_back({name, mode_arg, {}});
      rule = &policy.argument_rules.back();
    }
    if (rule->arg != mode_arg) continue;  // The app's own rule stands.
    const std::pair<uint64_t, uint64_t> no_set_id = {kSetIdBits, 0};
    if (std::find(rule->allowed_masked_values.begin(),
                  rule->allowed_masked_values.end(),
                  no_set_id) == rule->allowed_masked_values.end()) {
      rule->allowed_masked_values.push_back(no_set_id);
    }
  }
}

// What a socket of the host's network is used with (Network::kHost).
constexpr const char* kNetworkCalls[] = {
    "connect",     "bind",        "listen",     "accept4",
    "sendto",      "recvfrom",    "getsockopt", "setsockopt",
    "getsockname", "getpeername", "sendmmsg",   "recvmmsg"};

// setsid: a process the helper started (a keeper-shaped clone, bound to the
// helper's pid by the filter it inherits) would leave the helper's session,
// and the helper's pid, no longer the session's id, could go to a sibling
// once the helper has ended (seccomp_program.h).
constexpr const char* kCrossProcessCalls[] = {
    "ptrace",          "pidfd_send_signal", "pidfd_getfd",
    "process_madvise", "process_mrelease",  "setsid"};

bool IsNetworkCall(absl::string_view name) {
  return std::find(std::begin(kNetworkCalls), std::end(kNetworkCalls), name) !=
         std::end(kNetworkCalls);
}

}  // namespace

const char* LayerName(Layer layer) {
  return kLayerNames[static_cast<int>(layer)];
}

std::optional<Layer> LayerFromName(absl::string_view name) {
  for (int i = 0; i < kLayerCount; ++i) {
    if (name == kLayerNames[i]) return static_cast<Layer>(i);
  }
  return std::nullopt;
}

absl::Status CheckFilesystemView(const std::vector<FilesystemEntry>& view) {
  for (size_t i = 0; i < view.size(); ++i) {
    if (absl::Status ok = CheckEntry(view[i]); !ok.ok()) return ok;
    for (size_t j = 0; j < i; ++j) {
      if (absl::Status ok = CheckPair(view[j], view[i]); !ok.ok()) return ok;
    }
  }
  return absl::OkStatus();
}

const char* FilesystemKindName(FilesystemEntry::Kind kind) {
  switch (kind) {
    case FilesystemEntry::Kind::kReadOnly:
      return "ro";
    case FilesystemEntry::Kind::kReadWrite:
      return "rw";
    case FilesystemEntry::Kind::kTmpfs:
      return "tmpfs";
    case FilesystemEntry::Kind::kDevice:
      return "dev";
  }
  return "?";
}

std::optional<FilesystemEntry::Kind> FilesystemKindFromName(
    absl::string_view name) {
  for (FilesystemEntry::Kind kind :
       {FilesystemEntry::Kind::kReadOnly, FilesystemEntry::Kind::kReadWrite,
        FilesystemEntry::Kind::kTmpfs, FilesystemEntry::Kind::kDevice}) {
    if (name == FilesystemKindName(kind)) return kind;
  }
  return std::nullopt;
}

const char* RequirementName(Requirement requirement) {
  switch (requirement) {
    case Requirement::kOff:
      return "off";
    case Requirement::kBestEffort:
      return "best-effort";
    case Requirement::kRequired:
      return "required";
  }
  return "?";
}

SandboxPolicy WithNetwork(SandboxPolicy policy, Network network) {
  policy.network = network;
  auto& rules = policy.argument_rules;
  rules.erase(std::remove_if(rules.begin(), rules.end(),
                             [](const ArgumentRule& rule) {
                               return rule.syscall == "socket";
                             }),
              rules.end());
  auto& allowed = policy.allowed_syscalls;
  allowed.erase(std::remove_if(allowed.begin(), allowed.end(),
                               [](const std::string& name) {
                                 return name == "socket" || IsNetworkCall(name);
                               }),
                allowed.end());
  const int net_ns = static_cast<int>(Layer::kNetNamespace);
  if (network == Network::kNone) {
    if (policy.layers[net_ns] == Requirement::kOff) {
      policy.layers[net_ns] = Requirement::kRequired;
    }
    return policy;
  }
  // Sockets of the internet families only, in the host's network namespace.
  // Not AF_UNIX: the host's abstract unix sockets (an X server, D-Bus, ...)
  // live in that namespace, out of the chroot's and Landlock's filesystem
  // rules' reach (Landlock's scoping, where the kernel has it, bars them too).
  policy.layers[net_ns] = Requirement::kOff;
  for (const char* name : kNetworkCalls) {
    if (!SyscallTableAvailable() || SyscallNumber(name).has_value()) {
      allowed.push_back(name);
    }
  }
  std::vector<std::pair<uint64_t, uint64_t>> families;
  for (uint64_t family : {kAfInet, kAfInet6}) {
    families.emplace_back(~uint64_t{0}, family);
  }
  rules.push_back({"socket", 0, std::move(families)});
  return policy;
}

const char* NetworkName(Network network) {
  return network == Network::kHost ? "host" : "none";
}

std::optional<Network> NetworkFromName(absl::string_view name) {
  if (name == "none") return Network::kNone;
  if (name == "host") return Network::kHost;
  return std::nullopt;
}

bool AllowsFork(const SandboxPolicy& policy) {
  constexpr const char* kForkCalls[] = {"fork", "vfork", "clone", "clone3"};
  return std::any_of(std::begin(kForkCalls), std::end(kForkCalls),
                     [&](const char* call) {
                       return std::find(policy.allowed_syscalls.begin(),
                                        policy.allowed_syscalls.end(),
                                        call) != policy.allowed_syscalls.end();
                     });
}

bool ReachesHostNetwork(const SandboxPolicy& policy) {
  return policy.network == Network::kHost &&
         !policy.enabled(Layer::kNetNamespace);
}

bool SandboxPolicy::disabled() const {
  return std::all_of(layers.begin(), layers.end(),
                     [](Requirement r) { return r == Requirement::kOff; });
}

SandboxPolicyBuilder::SandboxPolicyBuilder(std::string name) {
  policy_.name = std::move(name);
  policy_.layers.fill(Requirement::kRequired);
}

SandboxPolicyBuilder SandboxPolicyBuilder::FromPolicy(
    const SandboxPolicy& base) {
  SandboxPolicyBuilder builder(base.name);
  builder.policy_ = base;
  return builder;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AddReadOnly(
    absl::string_view path) {
  policy_.filesystem.push_back(
      {FilesystemEntry::Kind::kReadOnly, std::string(path), 0});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AddReadWrite(
    absl::string_view path) {
  policy_.filesystem.push_back(
      {FilesystemEntry::Kind::kReadWrite, std::string(path), 0});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AddTmpfs(absl::string_view path,
                                                     uint64_t size_bytes) {
  policy_.filesystem.push_back(
      {FilesystemEntry::Kind::kTmpfs, std::string(path), size_bytes});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AddDevice(absl::string_view path) {
  policy_.filesystem.push_back(
      {FilesystemEntry::Kind::kDevice, std::string(path), 0});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::Require(Layer layer) {
  policy_.layers[static_cast<int>(layer)] = Requirement::kRequired;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::BestEffort(Layer layer) {
  policy_.layers[static_cast<int>(layer)] = Requirement::kBestEffort;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::Disable(Layer layer) {
  policy_.layers[static_cast<int>(layer)] = Requirement::kOff;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AllowBaseRuntime() {
  AllowSyscallsIfPresent(
      {// I/O on descriptors the helper already has.
       "read", "write", "readv", "writev", "pread64", "pwrite64", "close",
       "dup", "dup2", "dup3", "fcntl", "lseek", "fstat", "newfstatat", "statx",
       "recvmsg", "sendmsg", "shutdown", "poll", "ppoll", "select", "pselect6",
       // The event loop.
       "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
       "epoll_pwait2", "eventfd2", "pipe2",
       // Memory, and shared memory regions (fallocate gives an idle
       // region's pages back, ipc/shared_body_pool.cc).
       "mmap", "munmap", "mremap", "mprotect", "madvise", "brk", "memfd_create",
       "ftruncate", "fallocate",
       // Time.
       "clock_gettime", "clock_getres", "gettimeofday", "nanosleep",
       "clock_nanosleep",
       // Signals: handlers, masks, raising against itself.
       "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
       "tgkill", "restart_syscall",
       // Threads.
       "futex", "set_robust_list", "rseq", "set_tid_address", "sched_yield",
       "sched_getaffinity", "membarrier",
       // Its own identity and limits (the probe reads them).
       "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
       "getresuid", "getresgid", "capget", "prlimit64", "getrlimit", "uname",
       "getrandom", "statfs", "fstatfs",
       // Ending.
       "exit", "exit_group"});
  AllowSyscallIfArg("clone", 0, kCloneThread, kCloneThread);
  // The teardown keeper (helper/teardown_deferral.h): a process sharing this
  // one's memory, made after the lockdown and so under all of it.
  AllowSyscallIfArg("clone", 0, ~uint64_t{0}, kCloneKeeper);
  // ...which lowers itself to SCHED_IDLE before its teardown.
  AllowSyscallIfArg("sched_setscheduler", 1, ~uint64_t{0}, kSchedIdle);
  FailSyscallWith("clone3", ENOSYS);
  for (uint64_t option : {kPrSetName, kPrGetName, kPrGetDumpable, kPrGetSeccomp,
                          kPrGetNoNewPrivs}) {
    AllowSyscallIfArg("prctl", 0, ~uint64_t{0}, option);
  }
  // isatty() and non-blocking mode on its own descriptors.
  for (uint64_t request : {kTcgets, kFionread, kFionbio, kFioclex}) {
    AllowSyscallIfArg("ioctl", 1, ~uint64_t{0}, request);
  }
  // Paths lead nowhere in the empty root; library code that probes a file
  // gets an error rather than a violation.
  FailSyscallWith("openat", EACCES);
  FailSyscallWith("open", EACCES);
  FailSyscallWith("access", EACCES);
  FailSyscallWith("faccessat", EACCES);
  FailSyscallWith("faccessat2", EACCES);
  FailSyscallWith("readlink", EACCES);
  FailSyscallWith("readlinkat", EACCES);
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AllowSyscall(
    absl::string_view name) {
  if (!Contains(policy_.allowed_syscalls, name)) {
    policy_.allowed_syscalls.emplace_back(name);
  }
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AllowSyscalls(
    std::initializer_list<const char*> names) {
  for (const char* name : names) AllowSyscall(name);
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AllowSyscallsIfPresent(
    std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (!SyscallTableAvailable() || SyscallNumber(name).has_value()) {
      AllowSyscall(name);
    }
  }
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::AllowSyscallIfArg(
    absl::string_view name, int arg, uint64_t mask, uint64_t value) {
  for (ArgumentRule& rule : policy_.argument_rules) {
    if (rule.syscall == name && rule.arg == arg) {
      rule.allowed_masked_values.emplace_back(mask, value);
      return *this;
    }
  }
  policy_.argument_rules.push_back({std::string(name), arg, {{mask, value}}});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::FailSyscallWith(
    absl::string_view name, int error) {
  if (SyscallTableAvailable() && !SyscallNumber(name).has_value()) {
    return *this;  // Not on this architecture (e.g. `open` on arm64).
  }
  policy_.errno_syscalls.emplace_back(std::string(name), error);
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::SetViolationAction(
    ViolationAction action) {
  policy_.violation_action = action;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::SetAddressSpaceLimit(
    uint64_t bytes) {
  policy_.limits.address_space_bytes = bytes;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::SetOpenFilesLimit(uint64_t count) {
  policy_.limits.open_files = count;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::SetProcessLimit(uint64_t count) {
  policy_.limits.processes = count;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::SetCpuSecondsLimit(
    uint64_t seconds) {
  policy_.limits.cpu_seconds = seconds;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::SetCgroupLimits(
    uint64_t memory_bytes, uint64_t pids) {
  policy_.limits.cgroup_memory_bytes = memory_bytes;
  policy_.limits.cgroup_pids = pids;
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::SetNetwork(Network network) {
  policy_ = WithNetwork(std::move(policy_), network);
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::SetEnv(absl::string_view name,
                                                   absl::string_view value) {
  policy_.environment.push_back(absl::StrCat(name, "=", value));
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::PassEnv(absl::string_view name) {
  policy_.environment.emplace_back(name);
  return *this;
}

absl::Status CheckEnvironmentEntries(absl::string_view where,
                                     const std::vector<std::string>& entries) {
  // NAME=value, or NAME alone.
  for (const std::string& entry : entries) {
    const absl::string_view name =
        absl::string_view(entry).substr(0, entry.find('='));
    if (name.empty() || entry.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": bad environment entry '", absl::CHexEscape(entry),
          "' (NAME=value or NAME, NAME not empty, no NUL)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SandboxPolicy> SandboxPolicyBuilder::Build() const {
  const std::string where = absl::StrCat("sandbox policy '", policy_.name, "'");
  SandboxPolicy policy = policy_;
  if (absl::Status ok = CheckFilesystemView(policy.filesystem); !ok.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", ok.message()));
  }
  if (!policy.filesystem.empty() && !policy.enabled(Layer::kChroot) &&
      !policy.disabled()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where,
                     ": a filesystem view needs the chroot layer (the view is "
                     "built in the helper's new root)"));
  }
  AllowViewSyscalls(policy);
  // Before the table check: they are refused on every platform.
  for (const char* name : kCrossProcessCalls) {
    const bool by_argument = std::any_of(
        policy.argument_rules.begin(), policy.argument_rules.end(),
        [&](const ArgumentRule& rule) { return rule.syscall == name; });
    if (Contains(policy.allowed_syscalls, name) || by_argument) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": ", name,
          " cannot be allowed: a sibling helper shares the pid namespace, "
          "and the filter cannot keep this call from reaching it"));
    }
  }
  if (SyscallTableAvailable()) {
    auto check = [&](const std::string& name) -> absl::Status {
      if (SyscallNumber(name).has_value()) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": unknown system call '", name, "' on this architecture"));
    };
    for (const std::string& name : policy.allowed_syscalls) {
      if (absl::Status ok = check(name); !ok.ok()) return ok;
    }
    for (const ArgumentRule& rule : policy.argument_rules) {
      if (absl::Status ok = check(rule.syscall); !ok.ok()) return ok;
      if (rule.arg < 0 || rule.arg > 5) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": ", rule.syscall, " has no argument ", rule.arg));
      }
      if (Contains(policy.allowed_syscalls, rule.syscall)) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": ", rule.syscall, " is allowed outright and by argument"));
      }
    }
    for (const auto& [name, error] : policy.errno_syscalls) {
      if (absl::Status ok = check(name); !ok.ok()) return ok;
      if (Contains(policy.allowed_syscalls, name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": ", name, " is both allowed and made to fail"));
      }
    }
  }
  if (policy.enabled(Layer::kSeccomp) && !policy.enabled(Layer::kNoNewPrivs)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where,
        ": seccomp needs no-new-privs (the kernel refuses a filter "
        "from a process without CAP_SYS_ADMIN otherwise)"));
  }
  if (policy.enabled(Layer::kSeccomp) && policy.allowed_syscalls.empty() &&
      policy.argument_rules.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": seccomp with an empty allowlist (call AllowBaseRuntime)"));
  }
  if (policy.network == Network::kNone) {
    if (!policy.enabled(Layer::kNetNamespace)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          ": network none needs the net-ns layer (or SetNetwork(kHost))"));
    }
    const bool socket_allowed =
        Contains(policy.allowed_syscalls, "socket") ||
        std::any_of(
            policy.argument_rules.begin(), policy.argument_rules.end(),
            [](const ArgumentRule& rule) { return rule.syscall == "socket"; });
    if (socket_allowed) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": network none, but socket is allowed (SetNetwork(kHost))"));
    }
  } else if (policy.enabled(Layer::kNetNamespace)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": network host, but the net-ns layer is on"));
  }
  if (absl::Status ok = CheckEnvironmentEntries(where, policy.environment);
      !ok.ok()) {
    return ok;
  }
  if (absl::Status files = internal::ValidateFileAccess(policy); !files.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", files.message()));
  }
  return policy;
}

std::vector<std::string> CrossProcessCalls() {
  return {std::begin(kCrossProcessCalls), std::end(kCrossProcessCalls)};
}

SandboxPolicy NoSandboxPolicy() {
  SandboxPolicy policy;
  policy.name = "none";
  policy.layers.fill(Requirement::kOff);
  policy.network = Network::kHost;
  return policy;
}
}  // namespace bulkhead::sandbox
