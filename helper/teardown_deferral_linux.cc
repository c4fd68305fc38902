#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>

#include "common/os_error.h"
#include "helper/teardown_deferral.h"

namespace bulkhead {
namespace {

std::atomic<int> g_keeper_pid{0};

#if defined(__x86_64__) || defined(__aarch64__)
#define BH_HAVE_KEEPER 1
#endif
#if defined(__SANITIZE_THREAD__)
#undef BH_HAVE_KEEPER
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#undef BH_HAVE_KEEPER
#endif
#endif

#if defined(BH_HAVE_KEEPER)

constexpr size_t kKeeperStackBytes = 64 * 1024;

// A system call without the C library's wrapper, which would write errno in
// the helper's thread-local storage. Returns -errno on failure.
#define BH_KEEPER_CODE                                          \
  __attribute__((no_sanitize("address", "thread", "undefined"), \
                 no_stack_protector, noinline))

BH_KEEPER_CODE long RawSyscall(long number, long a = 0, long b = 0, long c = 0,
                               long d = 0) {
#if defined(__x86_64__)
  long result;
  register long r10 asm("r10") = d;
  asm volatile("syscall"
               : "=a"(result)
               : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10)
               : "rcx", "r11", "memory");
  return result;
#else
  register long x8 asm("x8") = number;
  register long x0 asm("x0") = a;
  register long x1 asm("x1") = b;
  register long x2 asm("x2") = c;
  register long x3 asm("x3") = d;
  asm volatile("svc 0"
               : "+r"(x0)
               : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
               : "memory");
  return x0;
#endif
}

// What the keeper needs, filled in before the clone.
struct KeeperPlan {
  long wake_fd;   // Read end: end-of-file once the helper has gone.
  long fd_limit;  // RLIMIT_NOFILE, for closing fds one by one.
  long confined;  // Only calls the base runtime's filter allows.
  // Set (and woken) by the keeper once it holds nothing but `wake_fd`.
  int ready;
};

BH_KEEPER_CODE int KeeperMain(void* argument) {
  KeeperPlan* shared = static_cast<KeeperPlan*>(argument);
  const KeeperPlan plan = *shared;
  const long wake_fd = plan.wake_fd;
  if (!plan.confined) RawSyscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
  RawSyscall(SYS_prctl, PR_SET_NAME, reinterpret_cast<long>("bulkhead-keeper"));
  uint64_t all_signals = ~uint64_t{0};
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK,
             reinterpret_cast<long>(&all_signals), 0, sizeof(all_signals));
  // Holding none of the helper's fds, it keeps none of its pipes open: the
  // host sees their end when the helper's comes.
  if (plan.confined || RawSyscall(SYS_close_range, wake_fd + 1, ~0U, 0) != 0) {
    for (long fd = wake_fd + 1; fd < plan.fd_limit; ++fd) {
      RawSyscall(SYS_close, fd);  // No close_range (before 5.9).
    }
  }
  for (long fd = 0; fd < wake_fd; ++fd) RawSyscall(SYS_close, fd);
  __atomic_store_n(&shared->ready, 1, __ATOMIC_RELEASE);
  RawSyscall(SYS_futex, reinterpret_cast<long>(&shared->ready), FUTEX_WAKE, 1);
  // End-of-file once the helper (and any child it forked without exec) has
  // gone; then this exit is the one that unmaps the memory.
  char byte;
  long got;
  do {
    got = RawSyscall(SYS_read, wake_fd, reinterpret_cast<long>(&byte), 1);
  } while (got == -EINTR);
  // The teardown this exit does is background work: it must not keep the
  // host, or the helper's replacement, off a cpu.
  const sched_param idle = {};
  RawSyscall(SYS_sched_setscheduler, 0, SCHED_IDLE,
             reinterpret_cast<long>(&idle));
  RawSyscall(SYS_exit, 0);
  return 0;
}

#endif  // BH_HAVE_KEEPER

}  // namespace

absl::Status DeferTeardownToKeeper(bool confined) {
#if !defined(BH_HAVE_KEEPER)
  (void)confined;
  return absl::UnimplementedError("no teardown keeper in this build");
#else
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) return LastPosixErrorToStatus("pipe2");
  void* stack = ::mmap(nullptr, kKeeperStackBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    ::close(wake[0]);
    ::close(wake[1]);
    return LastPosixErrorToStatus("mmap (keeper stack)");
  }
  rlimit files = {};
  // At the stack's low end, far from the keeper's frames, which start at
  // the high end; the keeper copies it first thing.
  auto* plan = static_cast<KeeperPlan*>(stack);
  plan->wake_fd = wake[0];
  plan->ready = 0;
  plan->confined = confined ? 1 : 0;
  plan->fd_limit =
      ::getrlimit(RLIMIT_NOFILE, &files) == 0
          ? static_cast<long>(std::min<rlim_t>(files.rlim_cur, 1 << 20))
          : 1024;
  // No exit signal: the helper never waits for it. Reparented when the
  // helper dies, it is reaped by whoever adopts it.
  const int keeper =
      ::clone(KeeperMain, static_cast<char*>(stack) + kKeeperStackBytes,
              CLONE_VM | CLONE_UNTRACED, plan);
  const int error = errno;
  ::close(wake[0]);  // The keeper has its own copy of the fd table.
  if (keeper < 0) {
    ::close(wake[1]);
    ::munmap(stack, kKeeperStackBytes);
    return PosixErrorToStatus(error, "clone (keeper)");
  }
  g_keeper_pid.store(keeper);
  // wake[1] stays open, close-on-exec, for the helper's life: on purpose.
  // Wait until the keeper holds none of the helper's fds, so that from
  // Ready on, the host sees this helper's pipes end when it does.
  const timespec step = {0, 100 * 1000 * 1000};
  for (int waited = 0; __atomic_load_n(&plan->ready, __ATOMIC_ACQUIRE) == 0;
       ++waited) {
    if (waited == 50) {
      return absl::DeadlineExceededError("the keeper did not start in 5 s");
    }
    ::syscall(SYS_futex, &plan->ready, FUTEX_WAIT, 0, &step);
  }
  return absl::OkStatus();
#endif
}

int TeardownKeeperPid() { return g_keeper_pid.load(); }

}  // namespace bulkhead
