#include "helper/diagnostics/escape_probe_linux.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace bulkhead::escape_internal {
namespace {

// The first syscall number seccomp trapped since `ClearTrap`, or -1. Written
// by the signal handler: lock-free atomics are async-signal-safe.
std::atomic<int> g_trapped{-1};
static_assert(std::atomic<int>::is_always_lock_free);

constexpr int kChildTimeoutMs = 5000;

// si_code of a seccomp SIGSYS: SYS_SECCOMP, which glibc's <signal.h> lacks
// (it is in <asm-generic/siginfo.h>, which clashes with it).
constexpr int kSysSeccomp = 1;

void OnSigsys(int, siginfo_t* info, void* context) {
  // Only traps: a SIGSYS sent with kill() has nothing to return from.
  if (info->si_code != kSysSeccomp) return;
  int expected = -1;
  g_trapped.compare_exchange_strong(expected, info->si_syscall);
  // The kernel skipped the syscall and rolled the return register back to the
  // syscall number; make the syscall return -ENOSYS instead, so that the
  // libc wrapper sets errno = ENOSYS.
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
  uc->uc_mcontext.regs[0] = static_cast<unsigned long long>(-ENOSYS);
#else
#error "escape attempts: set the syscall return register for this architecture"
#endif
}

struct SyscallNameEntry {
  long number;
  const char* name;
};

// The syscalls the attempts make (directly or through libc), for outcomes.
constexpr SyscallNameEntry kSyscallNames[] = {
#ifdef SYS_open
    {SYS_open, "open"},
#endif
#ifdef SYS_fork
    {SYS_fork, "fork"},
#endif
#ifdef SYS_vfork
    {SYS_vfork, "vfork"},
#endif
    {SYS_openat, "openat"},
    {SYS_getdents64, "getdents64"},
    {SYS_read, "read"},
    {SYS_write, "write"},
    {SYS_close, "close"},
    {SYS_unlinkat, "unlinkat"},
    {SYS_mkdirat, "mkdirat"},
    {SYS_socket, "socket"},
    {SYS_connect, "connect"},
    {SYS_ptrace, "ptrace"},
    {SYS_kill, "kill"},
    {SYS_process_vm_readv, "process_vm_readv"},
    {SYS_pidfd_open, "pidfd_open"},
    {SYS_pidfd_getfd, "pidfd_getfd"},
    {SYS_clone, "clone"},
    {SYS_clone3, "clone3"},
    {SYS_wait4, "wait4"},
    {SYS_pipe2, "pipe2"},
    {SYS_execve, "execve"},
    {SYS_execveat, "execveat"},
    {SYS_mount, "mount"},
    {SYS_umount2, "umount2"},
    {SYS_unshare, "unshare"},
    {SYS_setns, "setns"},
    {SYS_chroot, "chroot"},
    {SYS_setuid, "setuid"},
    {SYS_setgid, "setgid"},
    {SYS_init_module, "init_module"},
    {SYS_finit_module, "finit_module"},
    {SYS_bpf, "bpf"},
    {SYS_perf_event_open, "perf_event_open"},
    {SYS_io_uring_setup, "io_uring_setup"},
    {SYS_userfaultfd, "userfaultfd"},
    {SYS_keyctl, "keyctl"},
    {SYS_add_key, "add_key"},
    {SYS_personality, "personality"},
    {SYS_prlimit64, "prlimit64"},
    {SYS_seccomp, "seccomp"},
    {SYS_prctl, "prctl"},
};

std::string SyscallName(int number) {
  for (const auto& entry : kSyscallNames) {
    if (entry.number == number) return entry.name;
  }
  return absl::StrCat("syscall ", number);
}

std::string WaitStatusText(int status) {
  if (status == -1) return "status unknown";
  if (WIFEXITED(status)) return absl::StrCat("exit ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return absl::StrCat("killed by SIG", name != nullptr ? name : "?");
  }
  return absl::StrCat("status ", status);
}

// Reads the child's report; false on EOF, error or timeout.
bool ReadReport(int fd, SyscallResult& report, bool& timed_out) {
  auto* bytes = reinterpret_cast<char*>(&report);
  size_t got = 0;
  while (got < sizeof(report)) {
    pollfd pfd = {fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, kChildTimeoutMs);
    if (ready == -1 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      return false;
    }
    const ssize_t n = ::read(fd, bytes + got, sizeof(report) - got);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

ScopedSigsysTrap::ScopedSigsysTrap() {
  struct sigaction action = {};
  action.sa_sigaction = &OnSigsys;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  installed_ = ::sigaction(SIGSYS, &action, &previous_action_) == 0;
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGSYS);
  // A blocked SIGSYS from seccomp is forced to its default action: death.
  ::pthread_sigmask(SIG_UNBLOCK, &unblock, &previous_mask_);
}

ScopedSigsysTrap::~ScopedSigsysTrap() {
  ::pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  if (installed_) ::sigaction(SIGSYS, &previous_action_, nullptr);
}

void ClearTrap() { g_trapped.store(-1); }

int TakeTrap() { return g_trapped.exchange(-1); }

IsolatedResult RunIsolated(absl::FunctionRef<long()> op,
                           absl::FunctionRef<long()> in_process) {
  IsolatedResult out;
  int fds[2] = {-1, -1};
  const SyscallResult piped =
      Try([&] { return long{::pipe2(fds, O_CLOEXEC)}; });
  if (piped.value == -1) {
    out.result = Try(in_process);
    out.note =
        absl::StrCat("in-process: pipe2 failed (", FailureText(piped), ")");
    return out;
  }
  const SyscallResult forked = Try([] { return long{::fork()}; });
  if (forked.value == 0) {
    // The child: async-signal-safe calls only (the parent may have threads).
    ::close(fds[0]);
    const SyscallResult report = Try(op);
    [[maybe_unused]] const ssize_t n = ::write(fds[1], &report, sizeof(report));
    ::_exit(0);
  }
  ::close(fds[1]);
  if (forked.value == -1) {
    ::close(fds[0]);
    out.result = Try(in_process);
    out.note =
        absl::StrCat("in-process: fork failed (", FailureText(forked), ")");
    return out;
  }
  const pid_t child = static_cast<pid_t>(forked.value);
  bool timed_out = false;
  out.no_report = !ReadReport(fds[0], out.result, timed_out);
  ::close(fds[0]);
  if (timed_out) ::kill(child, SIGKILL);  // Our own child, never reaped yet.
  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(child, &status, 0);
  } while (waited == -1 && errno == EINTR);
  out.wait_status = waited == child ? status : -1;
  if (timed_out) out.note = "child timed out";
  return out;
}

std::string ErrorName(int error) {
  const char* name = strerrorname_np(error);
  return name != nullptr ? std::string(name) : absl::StrCat("errno ", error);
}

std::string FailureText(const SyscallResult& result) {
  if (result.trapped != -1) {
    return absl::StrCat("SIGSYS: seccomp trapped ",
                        SyscallName(result.trapped));
  }
  return ErrorName(result.error);
}

bool IsDenial(const SyscallResult& result) {
  return result.trapped != -1 || result.error == EPERM ||
         result.error == EACCES || result.error == ENOSYS;
}

EscapeAttempt Plain(std::string name, const SyscallResult& result,
                    const std::string& success) {
  if (result.value == -1 || result.trapped != -1) {
    return {std::move(name), true, FailureText(result)};
  }
  return {std::move(name), false, absl::StrCat("SUCCEEDED: ", success)};
}

EscapeAttempt Probe(std::string name, const SyscallResult& result,
                    const std::string& success, const std::string& why) {
  if (result.value != -1 && result.trapped == -1) {
    return {std::move(name), false, absl::StrCat("SUCCEEDED: ", success)};
  }
  if (IsDenial(result)) return {std::move(name), true, FailureText(result)};
  return {std::move(name), false,
          absl::StrCat("REACHABLE: ", ErrorName(result.error), " (", why, ")")};
}

EscapeAttempt FromIsolated(std::string name, const IsolatedResult& isolated,
                           const std::string& success, const std::string& why) {
  EscapeAttempt attempt;
  if (isolated.no_report) {
    const int status = isolated.wait_status;
    const bool sigsys =
        status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
    attempt = {
        std::move(name), sigsys,
        absl::StrCat(sigsys ? "SIGSYS: " : "UNKNOWN: ",
                     "child ended without a report, ", WaitStatusText(status))};
  } else if (why.empty()) {
    attempt = Plain(std::move(name), isolated.result, success);
  } else {
    attempt = Probe(std::move(name), isolated.result, success, why);
  }
  if (!isolated.note.empty())
    absl::StrAppend(&attempt.outcome, "; ", isolated.note);
  return attempt;
}

EscapeAttempt Skipped(std::string name, const std::string& why) {
  return {std::move(name), false, absl::StrCat("SKIPPED: ", why)};
}

}  // namespace bulkhead::escape_internal
