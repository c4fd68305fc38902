#include <execinfo.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "common/os_error.h"
#include "common/platform.h"
#include "common/process_image.h"
#include "helper/crash_handler.h"
#include "helper/descendant_sweep.h"
#include "ipc/crash_record.h"

namespace bulkhead {
namespace {

// Everything the handler touches is prepared before it can run: a signal
// handler may not allocate, lock or call anything that might.
int g_crash_fd = -1;
uint64_t g_image_base = 0;
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                                 SIGABRT, SIGSYS, SIGTRAP};
constexpr size_t kAltStackSize = 64 * 1024;
// Lives as long as the process, like the handler that runs on it.
alignas(16) char g_alt_stack[kAltStackSize];

void WriteFully(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// The interrupted instruction, where this platform's signal context says; 0
// where it is not known here.
uintptr_t InterruptedPc(const void* ucontext) {
  if (ucontext == nullptr) return 0;
  const auto* context = static_cast<const ucontext_t*>(ucontext);
#if defined(BULKHEAD_OS_LINUX) && defined(__x86_64__)
  return static_cast<uintptr_t>(context->uc_mcontext.gregs[REG_RIP]);
#elif defined(BULKHEAD_OS_LINUX) && defined(__aarch64__)
  return static_cast<uintptr_t>(context->uc_mcontext.pc);
#elif defined(__APPLE__) && defined(__x86_64__)
  // <mach/i386/_structs.h>: uc_mcontext points at the thread state. Unverified:
  // no Mac here.
  return static_cast<uintptr_t>(context->uc_mcontext->__ss.__rip);
#elif defined(__APPLE__) && defined(__aarch64__)
  return static_cast<uintptr_t>(context->uc_mcontext->__ss.__pc);
#else
  (void)context;
  return 0;
#endif
}

void OnFatalSignal(int signal, siginfo_t* info, void* ucontext) {
  const int saved_errno = errno;
  // glibc's backtrace() unwinds with the DWARF call-frame information, which
  // also describes the signal trampoline and code built without frame
  // pointers (libc's raise, for abort()); it was warmed up at install time,
  // so it loads nothing now.
  void* pcs[ipc::kMaxCrashFrames];
  const int depth = ::backtrace(pcs, static_cast<int>(ipc::kMaxCrashFrames));
  // The stack starts where the app's code was interrupted: this handler's
  // own frames and the signal trampoline before it are dropped (kept when
  // the interrupted instruction is not among the frames).
  int first = 0;
  if (const uintptr_t pc = InterruptedPc(ucontext); pc != 0) {
    for (int i = 0; i < depth; ++i) {
      if (reinterpret_cast<uintptr_t>(pcs[i]) == pc) {
        first = i;
        break;
      }
    }
  }
  uint64_t frames[ipc::kMaxCrashFrames];
  for (int i = first; i < depth; ++i) {
    frames[i - first] = reinterpret_cast<uintptr_t>(pcs[i]);
  }
  ipc::CrashRecordHeader header;
  header.signal = signal;
  header.fault_address =
      info != nullptr ? reinterpret_cast<uintptr_t>(info->si_addr) : 0;
  header.image_base = g_image_base;
#if defined(BULKHEAD_OS_LINUX)
  // The seccomp filter's SIGSYS names the refused call; no other system has
  // one.
  if (signal == SIGSYS && info != nullptr) {
    header.syscall_number = info->si_syscall;
  }
#endif
  char record[ipc::kMaxCrashRecordBytes];
  const size_t size = ipc::EncodeCrashRecord(
      header, frames, depth > first ? static_cast<size_t>(depth - first) : 0,
      record);
  WriteFully(g_crash_fd, record, size);
  // An unsandboxed helper's children must not outlive its crash.
  KillOwnDescendants();
  // The action was reset to the default on entry (SA_RESETHAND). Re-raising
  // leaves the signal pending until we return; a faulting instruction would
  // fault again anyway. Either way the process ends by `signal`.
  ::raise(signal);
  errno = saved_errno;
}

}  // namespace

void WarmUpCrashUnwinder() {
  // Inherited by a fork: a zygote's children skip it.
  static bool warm = false;
  if (warm) return;
  g_image_base = MainExecutableImage().base;
  void* frames[4];
  ::backtrace(frames, 4);
  warm = true;
}

absl::Status InstallCrashHandler(ScopedHandle crash_pipe) {
  if (!crash_pipe.is_valid()) {
    return absl::InvalidArgumentError("no crash pipe");
  }
  // A stack of its own, so that a stack overflow can still be reported.
  stack_t alt = {};
  alt.ss_sp = g_alt_stack;
  alt.ss_size = kAltStackSize;
  if (::sigaltstack(&alt, nullptr) != 0) {
    return LastPosixErrorToStatus("sigaltstack");
  }
  WarmUpCrashUnwinder();
  g_crash_fd = crash_pipe.release();
  struct sigaction action = {};
  action.sa_sigaction = OnFatalSignal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int signal : kFatalSignals) {
    if (::sigaction(signal, &action, nullptr) != 0) {
      return LastPosixErrorToStatus("sigaction");
    }
  }
  return absl::OkStatus();
}

}  // namespace bulkhead
