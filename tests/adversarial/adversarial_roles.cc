#include "adversarial_roles.h"

#include <fcntl.h>
#include <google/protobuf/wrappers.pb.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace adversarial {
namespace {

using google::protobuf::StringValue;
using Handler = absl::StatusOr<std::string> (*)(const std::string& arg);

// A crash record as the helper's crash handler writes it (ipc/crash_record.h,
// not installed: the layout is copied, as a hostile helper would).
struct ForgedCrashRecord {
  uint32_t magic = 0x52434842;  // "BHCR"
  uint32_t version = 1;
  int32_t signal = 0;
  uint32_t exception_status = 0;
  uint64_t fault_address = 0;
  uint64_t image_base = 0;
  uint32_t frame_count = 3;
  int32_t syscall_number = 0;
  uint64_t frames[3] = {};
};

// The lowest descriptor from 3 on that is a socket (`socket`) or the write
// end of a pipe, or -1. Found by looking, as a hostile helper would: the
// command line this process was started with is not the helper's when a
// zygote forked it. The channel is the first socket (the handle socket comes
// after it), the crash pipe the first pipe (stdout and stderr are below 3).
int FindDescriptor(bool socket) {
  for (int fd = 3; fd < 64; ++fd) {
    struct stat info;
    if (fstat(fd, &info) != 0) continue;
    if (socket && S_ISSOCK(info.st_mode)) return fd;
    if (!socket && S_ISFIFO(info.st_mode) &&
        (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY) {
      return fd;
    }
  }
  return -1;
}

int ArgAsInt(const std::string& arg) {
  int value = 0;
  return absl::SimpleAtoi(arg, &value) ? value : 0;
}

// Serves `handler` on the channel and runs the helper; what every role does
// unless it misbehaves around Run().
int Serve(bulkhead::HelperContext& context, Handler handler) {
  context.channel().Serve<StringValue, StringValue>(
      [handler](const StringValue& request) -> absl::StatusOr<StringValue> {
        absl::StatusOr<std::string> text = handler(request.value());
        if (!text.ok()) return text.status();
        StringValue response;
        response.set_value(*text);
        return response;
      });
  return context.Run();
}

[[noreturn]] void SleepForever() {
  for (;;) {
    timespec second = {1, 0};
    nanosleep(&second, nullptr);
  }
}

// Makes `signal` deliverable with its default action, then raises it.
void RaiseWithDefaultAction(int signal) {
  std::signal(signal, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  std::raise(signal);
}

// A child that lingers in a session of its own, keeping every descriptor it
// inherited (the channel, stdio, the crash pipe). Returns once the child has
// left the helper's session (so that no sweep of the helper's process group
// can catch it first).
void ForkSetsidLingerer() {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return;
  const pid_t child = fork();
  if (child == 0) {
    setsid();
    const char byte = 1;
    (void)!write(ready[1], &byte, 1);
    SleepForever();
  }
  close(ready[1]);
  char byte;
  if (child > 0) (void)!read(ready[0], &byte, 1);
  close(ready[0]);
}

// The classic daemon: fork, setsid, fork again, close everything, and linger
// under init (or the nearest subreaper). The intermediate child is reaped.
void ForkDaemon() {
  const pid_t middle = fork();
  if (middle == 0) {
    setsid();
    if (fork() == 0) {
      for (int fd = 0; fd < 1024; ++fd) close(fd);
      SleepForever();
    }
    _exit(0);
  }
  if (middle > 0) waitpid(middle, nullptr, 0);
}

// --- Roles: each one's misbehaviour, and when. ---

// The well-behaved sibling: answers with what it was sent.
int EchoMain(bulkhead::HelperContext& context) {
  return Serve(context,
               [](const std::string& arg) -> absl::StatusOr<std::string> {
                 return arg;
               });
}

// Raises the signal numbered by its argument on itself, with the default
// action (SIGTERM, SIGKILL, SIGPIPE, SIGSYS, SIGXCPU: none a crash the host
// caused, none a limit or filter of the sandbox).
int RaiseSignalMain(bulkhead::HelperContext& context) {
  return Serve(context,
               [](const std::string& arg) -> absl::StatusOr<std::string> {
                 RaiseWithDefaultAction(ArgAsInt(arg));
                 return "still alive";
               });
}

// Exits with the code in its argument from inside a call (exit(), so atexit
// handlers and static destructors run while the call is in flight): the
// reserved codes of helper/exit_codes.h among them.
int ExitCodeMain(bulkhead::HelperContext& context) {
  return Serve(context,
               [](const std::string& arg) -> absl::StatusOr<std::string> {
                 std::exit(ArgAsInt(arg));
               });
}

// abort() on a thread of its own while the main thread goes on serving.
int AbortInThreadMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    std::thread([] { std::abort(); }).detach();
    return "thread started";
  });
}

// A thread writes through a null pointer while the main thread is blocked
// joining it, in the middle of a call.
int SegvInThreadMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    std::thread crasher([] {
      volatile int* null = nullptr;
      *null = 1;
    });
    crasher.join();
    return "survived";
  });
}

// A thread calls _exit(7) while the main thread is blocked in a call.
int ExitFromThreadMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    std::thread exiter([] { _exit(7); });
    exiter.join();
    return "survived";
  });
}

void SleepingHandler(int) { SleepForever(); }

// The main thread raises a signal whose handler never returns: the loop is
// stuck inside a signal handler.
int SleepInSignalHandlerMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    struct sigaction action = {};
    action.sa_handler = &SleepingHandler;
    sigaction(SIGUSR1, &action, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    std::raise(SIGUSR1);
    return "handler returned";
  });
}

// Stops itself (SIGSTOP) in the middle of a call.
int StopSelfMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    std::raise(SIGSTOP);
    return "continued";
  });
}

// Closes its own channel descriptor in a call, then keeps running without
// it: its main thread sleeps (a process that lost its host but lives on).
int CloseChannelMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    close(FindDescriptor(/*socket=*/true));
    SleepForever();
  });
}

// Puts an eventfd where its channel was (dup2 over --ipc-fd), then returns to
// its loop, which now reads and writes the wrong file.
int Dup2OverChannelMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    const int other = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    dup2(other, FindDescriptor(/*socket=*/true));
    close(other);
    return "hijacked";
  });
}

// Floods stdout and stderr with megabytes that never end a line, with NULs,
// invalid UTF-8 and terminal escapes, then keeps serving.
int FloodOutputMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    std::string junk(64 * 1024, 'x');
    const char kNasty[] =
        "\xff\xfe\xc3\x28\x00\x1b[2J\x1b]0;pwned\x07\xed\xa0\x80";
    for (size_t i = 0; i < junk.size(); i += 512) {
      std::memcpy(&junk[i], kNasty, sizeof(kNasty) - 1);
    }
    for (int round = 0; round < 64; ++round) {  // 4 MiB each.
      for (int fd : {1, 2}) {
        size_t done = 0;
        while (done < junk.size()) {
          ssize_t n = write(fd, junk.data() + done, junk.size() - done);
          if (n <= 0) break;
          done += static_cast<size_t>(n);
        }
      }
    }
    return "flooded";
  });
}

// Writes a crash record claiming `signal` (and, for SIGSYS, a refused `fork`)
// on its crash pipe, without crashing; then exits with `code`.
[[noreturn]] void ForgeCrashRecordAndExit(int signal, int code) {
  ForgedCrashRecord record;
  record.signal = signal;
  record.fault_address = 0xdead;
  record.syscall_number = signal == SIGSYS ? 57 : 0;
  record.frames[0] = reinterpret_cast<uintptr_t>(&ForgeCrashRecordAndExit);
  record.frames[1] = 0x1234;
  record.frames[2] = ~uint64_t{0};
  (void)!write(FindDescriptor(/*socket=*/false), &record, sizeof(record));
  std::exit(code);
}

// In the call: a forged SIGSEGV record, then exit 0.
int ForgeSegvRecordMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    ForgeCrashRecordAndExit(SIGSEGV, 0);
  });
}

// In the call: a forged seccomp-trap record, then exit 3.
int ForgeSigsysRecordMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    ForgeCrashRecordAndExit(SIGSYS, 3);
  });
}

// Closes its stdout and stderr, then writes through a null pointer.
int CloseStdioThenCrashMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    volatile int* null = nullptr;
    *null = 1;
    return "survived";
  });
}

// Before Ready (so before any lockdown): forks a child that calls setsid()
// and lingers with every inherited descriptor; then exits 4 in the call.
int SetsidChildMain(bulkhead::HelperContext& context) {
  ForkSetsidLingerer();
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    std::exit(4);
  });
}

// Before Ready: a double-forked daemon (setsid, no descriptors, reparented
// away from the helper); then exits 5 in the call.
int DoubleForkDaemonMain(bulkhead::HelperContext& context) {
  ForkDaemon();
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    std::exit(5);
  });
}

// Before Ready: a bounded fork bomb (100 children that linger, never
// reaped); then exits 6 in the call.
int ForkBombMain(bulkhead::HelperContext& context) {
  for (int i = 0; i < 100; ++i) {
    const pid_t child = fork();
    if (child == 0) SleepForever();
    if (child < 0) break;
  }
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    std::exit(6);
  });
}

// In the call (after any lockdown): forks a setsid'd lingerer, then exits 8.
// Sandboxed, the fork itself is the violation.
int ForkAfterLockdownMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    ForkSetsidLingerer();
    std::exit(8);
  });
}

// Allocates (untouched) until malloc fails or 64 GiB, frees it all and
// answers how it went: "exhausted" when the memory limit stopped it.
int MallocUntilNullMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    constexpr size_t kChunk = size_t{1} << 20;
    std::vector<void*> blocks;
    blocks.reserve(64 * 1024);
    bool exhausted = false;
    while (blocks.size() < 64 * 1024) {
      void* block = std::malloc(kChunk);
      if (block == nullptr) {
        exhausted = true;
        break;
      }
      blocks.push_back(block);
    }
    for (void* block : blocks) std::free(block);
    return exhausted ? std::string("exhausted") : std::string("not enforced");
  });
}

// Leaks eventfds until EMFILE (after lowering its own limit to 64), then
// goes on serving: the next calls find it with no descriptor to spare.
int LeakFdsMain(bulkhead::HelperContext& context) {
  return Serve(
      context, [](const std::string& arg) -> absl::StatusOr<std::string> {
        if (arg == "leak") {
          rlimit limit;
          if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur > 64) {
            limit.rlim_cur = 64;
            setrlimit(RLIMIT_NOFILE, &limit);
          }
          int leaked = 0;
          while (eventfd(0, EFD_CLOEXEC) >= 0) ++leaked;
          return absl::StrCat("leaked ", leaked, ", then errno ", errno);
        }
        return absl::StrCat("got ", arg.size(), " bytes");
      });
}

// Answers each call only after 400 ms, past the caller's deadline.
int ReplyAfterDeadlineMain(bulkhead::HelperContext& context) {
  return Serve(context,
               [](const std::string& arg) -> absl::StatusOr<std::string> {
                 if (arg == "late") {
                   timespec delay = {0, 400 * 1000 * 1000};
                   nanosleep(&delay, nullptr);
                 }
                 return arg;
               });
}

// Serves normally; once the host's Shutdown ends Run(), writes through a
// null pointer.
int CrashOnShutdownMain(bulkhead::HelperContext& context) {
  Serve(context, [](const std::string& arg) -> absl::StatusOr<std::string> {
    return arg;
  });
  volatile int* null = nullptr;
  *null = 1;
  return 0;
}

// Serves normally; after Shutdown, exits 9 instead of 0.
int ExitNonzeroOnShutdownMain(bulkhead::HelperContext& context) {
  Serve(context, [](const std::string& arg) -> absl::StatusOr<std::string> {
    return arg;
  });
  return 9;
}

// Serves normally; after Shutdown, blocks SIGTERM and lingers: the host must
// escalate to SIGKILL.
int IgnoreShutdownMain(bulkhead::HelperContext& context) {
  Serve(context, [](const std::string& arg) -> absl::StatusOr<std::string> {
    return arg;
  });
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  SleepForever();
}

// Writes through a null pointer inside the call.
int SegvInCallMain(bulkhead::HelperContext& context) {
  return Serve(context, [](const std::string&) -> absl::StatusOr<std::string> {
    volatile int* null = nullptr;
    *null = 1;
    return "survived";
  });
}

}  // namespace

absl::Status RegisterRoles(bulkhead::RoleRegistry& roles) {
  const struct {
    const char* name;
    bulkhead::RoleMain main;
  } kRoles[] = {
      {"echo", &EchoMain},
      {"raise-signal", &RaiseSignalMain},
      {"exit-code", &ExitCodeMain},
      {"abort-in-thread", &AbortInThreadMain},
      {"segv-in-thread", &SegvInThreadMain},
      {"exit-from-thread", &ExitFromThreadMain},
      {"sleep-in-signal-handler", &SleepInSignalHandlerMain},
      {"stop-self", &StopSelfMain},
      {"close-channel", &CloseChannelMain},
      {"dup2-over-channel", &Dup2OverChannelMain},
      {"flood-output", &FloodOutputMain},
      {"setsid-child", &SetsidChildMain},
      {"double-fork-daemon", &DoubleForkDaemonMain},
      {"fork-bomb", &ForkBombMain},
      {"fork-after-lockdown", &ForkAfterLockdownMain},
      {"malloc-until-null", &MallocUntilNullMain},
      {"leak-fds", &LeakFdsMain},
      {"reply-after-deadline", &ReplyAfterDeadlineMain},
      {"crash-on-shutdown", &CrashOnShutdownMain},
      {"exit-nonzero-on-shutdown", &ExitNonzeroOnShutdownMain},
      {"ignore-shutdown", &IgnoreShutdownMain},
      {"segv-in-call", &SegvInCallMain},
      {"forge-segv-record", &ForgeSegvRecordMain},
      {"forge-sigsys-record", &ForgeSigsysRecordMain},
      {"close-stdio-then-crash", &CloseStdioThenCrashMain},
  };
  for (const auto& role : kRoles) {
    if (absl::Status added = roles.Add(role.name, role.main); !added.ok()) {
      return added;
    }
  }
  return absl::OkStatus();
}

}  // namespace adversarial
