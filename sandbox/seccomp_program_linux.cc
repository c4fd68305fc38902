#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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
  void Return(uint32_t action) { Add(BPF_STMT(BPF_RET | BPF_K, action)); }

  std::string Bytes() const {
    return std::string(reinterpret_cast<const char*>(code_.data()),
                       code_.size() * sizeof(sock_filter));
  }
  size_t size() const { return code_.size(); }

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

// Learning mode: every call of the filtered threads waits for the listener,
// which records it and lets it continue. The listener's own thread started
// before the filter and stays outside it (no TSYNC), so it can make any call,
// including those a sanitizer runtime makes behind its back.
std::string LearningProgram() {
  ProgramWriter program;
  program.Load(kArchOffset);
  program.JumpIfEqual(kAuditArch, 1, 0);
  program.Return(SECCOMP_RET_KILL_PROCESS);
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
  program.Load(kArchOffset);
  program.JumpIfEqual(kAuditArch, 1, 0);
  program.Return(SECCOMP_RET_KILL_PROCESS);
  program.Load(kNrOffset);
  if (kX32SyscallBit != 0) {
    program.JumpIfAtLeast(kX32SyscallBit, 0, 1);
    program.Return(SECCOMP_RET_KILL_PROCESS);
  }
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
  // The kernel copies the program; the cast drops only constness.
  sock_fprog fprog = {};
  fprog.len = static_cast<unsigned short>(program.size() / sizeof(sock_filter));
  fprog.filter =
      reinterpret_cast<sock_filter*>(const_cast<char*>(program.data()));
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
