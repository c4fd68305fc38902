#include "sandbox/sandbox_policy.h"

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
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
constexpr uint64_t kTcgets = 0x5401, kFionread = 0x541B, kFionbio = 0x5421,
                   kFioclex = 0x5451;

bool Contains(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
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

bool SandboxPolicy::disabled() const {
  return std::all_of(layers.begin(), layers.end(),
                     [](Requirement r) { return r == Requirement::kOff; });
}

SandboxPolicyBuilder::SandboxPolicyBuilder(std::string name) {
  policy_.name = std::move(name);
  policy_.layers.fill(Requirement::kRequired);
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

absl::StatusOr<SandboxPolicy> SandboxPolicyBuilder::Build() const {
  const std::string where = absl::StrCat("sandbox policy '", policy_.name, "'");
  if (SyscallTableAvailable()) {
    auto check = [&](const std::string& name) -> absl::Status {
      if (SyscallNumber(name).has_value()) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": unknown system call '", name, "' on this architecture"));
    };
    for (const std::string& name : policy_.allowed_syscalls) {
      if (absl::Status ok = check(name); !ok.ok()) return ok;
    }
    for (const ArgumentRule& rule : policy_.argument_rules) {
      if (absl::Status ok = check(rule.syscall); !ok.ok()) return ok;
      if (rule.arg < 0 || rule.arg > 5) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": ", rule.syscall, " has no argument ", rule.arg));
      }
      if (Contains(policy_.allowed_syscalls, rule.syscall)) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": ", rule.syscall, " is allowed outright and by argument"));
      }
    }
    for (const auto& [name, error] : policy_.errno_syscalls) {
      if (absl::Status ok = check(name); !ok.ok()) return ok;
      if (Contains(policy_.allowed_syscalls, name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": ", name, " is both allowed and made to fail"));
      }
    }
  }
  if (policy_.enabled(Layer::kSeccomp) &&
      !policy_.enabled(Layer::kNoNewPrivs)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where,
        ": seccomp needs no-new-privs (the kernel refuses a filter "
        "from a process without CAP_SYS_ADMIN otherwise)"));
  }
  if (policy_.enabled(Layer::kSeccomp) && policy_.allowed_syscalls.empty() &&
      policy_.argument_rules.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": seccomp with an empty allowlist (call AllowBaseRuntime)"));
  }
  if (absl::Status files = internal::ValidateFileAccess(policy_); !files.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", files.message()));
  }
  return policy_;
}

SandboxPolicy NoSandboxPolicy() {
  SandboxPolicy policy;
  policy.name = "none";
  policy.layers.fill(Requirement::kOff);
  return policy;
}
}  // namespace bulkhead::sandbox
