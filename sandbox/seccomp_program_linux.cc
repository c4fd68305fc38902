#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "sandbox/seccomp_program.h"
#include "sandbox/syscall_table.h"

namespace bulkhead::sandbox {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "argument words are read little-endian");

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
// x32 calls share the architecture value and set this bit in the number.
constexpr uint32_t kX32SyscallBit = 0x40000000;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
constexpr uint32_t kX32SyscallBit = 0;
#else
#error "seccomp_program_linux.cc: add this architecture's AUDIT_ARCH value"
#endif

constexpr uint32_t kNrOffset = offsetof(struct seccomp_data, nr);
constexpr uint32_t kArchOffset = offsetof(struct seccomp_data, arch);
constexpr uint32_t ArgLowOffset(int arg) {
  return offsetof(struct seccomp_data, args) + 8 * static_cast<uint32_t>(arg);
}

// An instruction of this kind (the compiler emits it for nothing else) loads
// the caller's pid into X. The host compiles the program before the helper
// exists, and a forked helper's pid is known only after the fork, so the pid
// is written in by InstallSeccompProgram in the process that installs it.
// Until then it holds a number above any pid (PID_MAX_LIMIT is 2^22) and
// positive, so that an unfilled program names no process, and no group.
constexpr uint16_t kLoadOwnPid = BPF_LDX | BPF_W | BPF_IMM;
constexpr uint32_t kOwnPidPlaceholder = 0x7fffffff;

class ProgramWriter {
 public:
  void Load(uint32_t offset) {
    Add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset));
  }
  void And(uint32_t mask) { Add(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask)); }
  void JumpIfEqual(uint32_t value, uint8_t if_true, uint8_t if_false) {
    Add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, if_true, if_false));
  }
  void JumpIfAtLeast(uint32_t value, uint8_t if_true, uint8_t if_false) {
    Add(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, value, if_true, if_false));
  }
  // X = the caller's pid: the placeholder InstallSeccompProgram replaces.
  void LoadOwnPid() { Add(BPF_STMT(kLoadOwnPid, kOwnPidPlaceholder)); }
  void JumpIfEqualX(uint8_t if_true, uint8_t if_false) {
    Add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, if_true, if_false));
  }
  void Return(uint32_t action) { Add(BPF_STMT(BPF_RET | BPF_K, action)); }

  std::string Bytes() const {
    return std::string(reinterpret_cast<const char*>(code_.data()),
                       code_.size() * sizeof(sock_filter));
  }
  size_t size() const { return code_.size(); }
  void Append(const ProgramWriter& other) {
    code_.insert(code_.end(), other.code_.begin(), other.code_.end());
  }

 private:
  void Add(sock_filter instruction) { code_.push_back(instruction); }
  std::vector<sock_filter> code_;
};

absl::StatusOr<uint32_t> Number(const std::string& name) {
  std::optional<int> number = SyscallNumber(name);
  if (!number.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown system call '", name, "'"));
  }
  return static_cast<uint32_t>(*number);
}

// Calls that name another process by its pid. Helpers forked from one zygote
// share a pid namespace and a user, so the kernel's own permission checks
// let one signal, trace or re-limit another; whatever a policy allows, the
// filter lets these through only when each named argument is the caller's
// own process. A pid of 0 or below names a process group (or every process)
// for kill, so is refused there; for the others 0 means the caller. The
// scheduling setters take a thread id: only the caller's main thread (whose
// id is the pid) or 0 pass. Their getters, which glibc asks by thread id
// (pthread_getattr_np), only read and stay as the policy says.
//
// Some calls name a process only for some values of another argument: the
// rule then applies when `when_arg` holds `when_value` (fcntl's F_SETOWN
// makes a pid the target of the descriptor's SIGIO, or of any signal
// F_SETSIG picks; F_SETOWN_EX names it through a pointer the filter cannot
// read, so is refused). Others can name a group or a user instead of a
// process (setpriority, ioprio_set): `must_arg` must hold `must_value`, the
// kind that names one process.
struct OwnProcessRule {
  const char* syscall;
  int args[2];  // Which arguments name a process; -1: none.
  bool zero_is_self;
  int when_arg = -1;  // -1: always.
  uint32_t when_value = 0;
  int must_arg = -1;  // -1: none.
  uint32_t must_value = 0;
  bool refused = false;  // When it applies, refused whatever the arguments.
};
constexpr uint32_t kFSetOwn = 8, kFSetOwnEx = 15;             // <fcntl.h>
constexpr uint32_t kFioSetOwn = 0x8901, kSiocSPgrp = 0x8902;  // <sys/ioctl.h>
constexpr uint32_t kPrioProcess = 0;       // <sys/resource.h>
constexpr uint32_t kIoprioWhoProcess = 1;  // <linux/ioprio.h>
constexpr OwnProcessRule kOwnProcessRules[] = {
    {"kill", {0, -1}, false},
    {"tkill", {0, -1}, false},  // A thread id: the main thread's only.
    {"tgkill", {0, -1}, false},
    {"rt_sigqueueinfo", {0, -1}, false},
    {"rt_tgsigqueueinfo", {0, -1}, false},
    {"pidfd_open", {0, -1}, false},
    {"process_vm_readv", {0, -1}, false},
    {"process_vm_writev", {0, -1}, false},
    {"kcmp", {0, 1}, false},
    {"prlimit64", {0, -1}, true},
    {"sched_setscheduler", {0, -1}, true},
    {"sched_setparam", {0, -1}, true},
    {"sched_setattr", {0, -1}, true},
    {"sched_setaffinity", {0, -1}, true},
    // The kernel checks these as ptrace: not-dumpable bars them between
    // siblings, but that is a layer a policy can turn off.
    {"get_robust_list", {0, -1}, true},
    {"move_pages", {0, -1}, true},
    {"migrate_pages", {0, -1}, true},
    // -1 is every process on a cpu. (With PERF_FLAG_PID_CGROUP the argument
    // is a cgroup's fd, which needs CAP_PERFMON or perf_event_paranoid 0.)
    {"perf_event_open", {1, -1}, true},
    // F_SETOWN 0 takes the owner away; below 0 names a process group.
    {"fcntl", {2, -1}, true, 1, kFSetOwn},
    {"fcntl", {-1, -1}, false, 1, kFSetOwnEx, -1, 0, true},
    // ioctl's owner setters (any file, sockets) read the pid through a
    // pointer: refused.
    {"ioctl", {-1, -1}, false, 1, kFioSetOwn, -1, 0, true},
    {"ioctl", {-1, -1}, false, 1, kSiocSPgrp, -1, 0, true},
    {"setpriority", {1, -1}, true, -1, 0, 0, kPrioProcess},
    {"ioprio_set", {1, -1}, true, -1, 0, 0, kIoprioWhoProcess},
};

// With the call's number in A: if it is `nr` (and the rule applies), every
// argument the rule names must be the caller's pid (or 0, where that means
// the caller), or the call gets `violation`; A holds the number again
// afterwards. Only low words are read: the kernel reads each of these
// arguments as an int.
void GuardOwnProcess(ProgramWriter& program, uint32_t nr,
                     const OwnProcessRule& rule, uint32_t violation) {
  ProgramWriter checks;
  if (rule.refused) checks.Return(violation);
  if (rule.must_arg >= 0) {
    checks.Load(ArgLowOffset(rule.must_arg));
    checks.JumpIfEqual(rule.must_value, 1, 0);
    checks.Return(violation);
  }
  for (int arg : rule.args) {
    if (arg < 0 || rule.refused) continue;
    checks.Load(ArgLowOffset(arg));
    if (rule.zero_is_self) checks.JumpIfEqual(0, 3, 0);
    checks.LoadOwnPid();
    checks.JumpIfEqualX(1, 0);
    checks.Return(violation);
  }
  ProgramWriter body;
  if (rule.when_arg >= 0) {
    body.Load(ArgLowOffset(rule.when_arg));
    body.JumpIfEqual(rule.when_value, 0, static_cast<uint8_t>(checks.size()));
  }
  body.Append(checks);
  body.Load(kNrOffset);
  program.JumpIfEqual(nr, 0, static_cast<uint8_t>(body.size()));
  program.Append(body);
}

// The checks every program starts with, leaving the call's number in A: a
// call from another architecture's ABI (x32 included) kills the process.
void CheckArchitecture(ProgramWriter& program) {
  program.Load(kArchOffset);
  program.JumpIfEqual(kAuditArch, 1, 0);
  program.Return(SECCOMP_RET_KILL_PROCESS);
  program.Load(kNrOffset);
  if (kX32SyscallBit != 0) {
    program.JumpIfAtLeast(kX32SyscallBit, 0, 1);
    program.Return(SECCOMP_RET_KILL_PROCESS);
  }
}

// Whether `policy` lets `name` through in some case (outright or by an
// argument rule).
bool Allows(const SandboxPolicy& policy, absl::string_view name) {
  return std::find(policy.allowed_syscalls.begin(),
                   policy.allowed_syscalls.end(),
                   name) != policy.allowed_syscalls.end() ||
         std::any_of(
             policy.argument_rules.begin(), policy.argument_rules.end(),
             [&](const ArgumentRule& rule) { return rule.syscall == name; });
}

// The own-process guards and the refused cross-process calls, first in the
// program: for the calls `policy` allows, or (`every`) for all of them.
void GuardOtherProcesses(ProgramWriter& program, const SandboxPolicy& policy,
                         bool every, uint32_t violation) {
  // Refused whatever the policy's data says (Build() refuses a policy that
  // allows one).
  for (const std::string& name : CrossProcessCalls()) {
    const std::optional<int> nr = SyscallNumber(name);
    if (!nr.has_value() || !(every || Allows(policy, name))) continue;
    program.JumpIfEqual(static_cast<uint32_t>(*nr), 0, 1);
    program.Return(violation);
  }
  for (const OwnProcessRule& rule : kOwnProcessRules) {
    const std::optional<int> nr = SyscallNumber(rule.syscall);
    if (!nr.has_value() || !(every || Allows(policy, rule.syscall))) continue;
    GuardOwnProcess(program, static_cast<uint32_t>(*nr), rule, violation);
  }
}

// Learning mode: every call of the filtered threads waits for the listener,
// which records it and lets it continue. The listener's own thread started
// before the filter and stays outside it (no TSYNC), so it can make any call,
// including those a sanitizer runtime makes behind its back. A call that
// reaches another process traps as in the enforced program: no policy could
// allow it, and learning must not open a way between siblings.
std::string LearningProgram() {
  ProgramWriter program;
  CheckArchitecture(program);
  GuardOtherProcesses(program, SandboxPolicy(), /*every=*/true,
                      SECCOMP_RET_TRAP);
  program.Return(SECCOMP_RET_USER_NOTIF);
  return program.Bytes();
}

}  // namespace

absl::StatusOr<std::string> CompileSeccompProgram(const SandboxPolicy& policy) {
  if (policy.violation_action == ViolationAction::kLearn) {
    return LearningProgram();
  }
  const uint32_t violation = SECCOMP_RET_TRAP;
  ProgramWriter program;
  CheckArchitecture(program);
  GuardOtherProcesses(program, policy, /*every=*/false, violation);
  // Each rule is "if nr == N then return" followed by its return: jumps stay
  // short (BPF offsets are 8 bits) however long the list is.
  for (const auto& [name, error] : policy.errno_syscalls) {
    absl::StatusOr<uint32_t> nr = Number(name);
    if (!nr.ok()) return nr.status();
    program.JumpIfEqual(*nr, 0, 1);
    program.Return(SECCOMP_RET_ERRNO |
                   (static_cast<uint32_t>(error) & SECCOMP_RET_DATA));
  }
  for (const std::string& name : policy.allowed_syscalls) {
    absl::StatusOr<uint32_t> nr = Number(name);
    if (!nr.ok()) return nr.status();
    program.JumpIfEqual(*nr, 0, 1);
    program.Return(SECCOMP_RET_ALLOW);
  }
  for (const ArgumentRule& rule : policy.argument_rules) {
    absl::StatusOr<uint32_t> nr = Number(rule.syscall);
    if (!nr.ok()) return nr.status();
    // Per allowed value: 7 instructions; then the violation.
    constexpr size_t kPerValue = 7;
    const size_t block = rule.allowed_masked_values.size() * kPerValue + 1;
    if (block > 255) {
      return absl::InvalidArgumentError(absl::StrCat(
          rule.syscall, ": too many allowed argument values for one rule"));
    }
    program.JumpIfEqual(*nr, 0, static_cast<uint8_t>(block));
    for (const auto& [mask, value] : rule.allowed_masked_values) {
      program.Load(ArgLowOffset(rule.arg));
      program.And(static_cast<uint32_t>(mask));
      program.JumpIfEqual(static_cast<uint32_t>(value), 0, 4);
      program.Load(ArgLowOffset(rule.arg) + 4);
      program.And(static_cast<uint32_t>(mask >> 32));
      program.JumpIfEqual(static_cast<uint32_t>(value >> 32), 0, 1);
      program.Return(SECCOMP_RET_ALLOW);
    }
    program.Return(violation);
  }
  program.Return(violation);
  if (program.size() > BPF_MAXINSNS) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp program of ", program.size(),
                     " instructions exceeds the kernel's ", BPF_MAXINSNS));
  }
  return program.Bytes();
}

absl::StatusOr<int> InstallSeccompProgram(const std::string& program,
                                          bool learning) {
  if (program.empty() || program.size() % sizeof(sock_filter) != 0) {
    return absl::InvalidArgumentError("malformed seccomp program");
  }
  std::vector<sock_filter> code(program.size() / sizeof(sock_filter));
  std::memcpy(code.data(), program.data(), program.size());
  // The caller's pid as its own pid namespace numbers it, which is how the
  // arguments of its calls name processes. Read now, in the process the
  // filter binds: threads share it; a process this one starts later (the
  // teardown keeper) inherits the filter and this pid with it.
  const long pid = ::syscall(SYS_getpid);
  for (sock_filter& instruction : code) {
    if (instruction.code == kLoadOwnPid) {
      instruction.k = static_cast<uint32_t>(pid);
    }
  }
  sock_fprog fprog = {};
  fprog.len = static_cast<unsigned short>(code.size());
  fprog.filter = code.data();
  // Learning filters only this thread and those it starts later: the
  // listener's thread must not wait on itself.
  const unsigned long flags =
      learning ? SECCOMP_FILTER_FLAG_NEW_LISTENER : SECCOMP_FILTER_FLAG_TSYNC;
  const long listener =
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (listener < 0) {
    return LastPosixErrorToStatus("seccomp(SECCOMP_SET_MODE_FILTER)");
  }
  return learning ? static_cast<int>(listener) : -1;
}

}  // namespace bulkhead::sandbox
