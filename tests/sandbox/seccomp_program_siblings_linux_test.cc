// Two helpers in one pid namespace, as the children of a zygote that lives in
// the sandbox's namespaces are: each locked down by the filter the host
// compiled before either existed, one (A) tries to signal, trace, read or
// re-limit the other (B). Every attempt is refused, B is observed alive and
// untouched, and what a helper does to itself (raise, abort, its threads
// signalling each other) still works.
//
// The processes are real: the test clones an init into new user and pid
// namespaces, which forks B and then A, as a zygote would.
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/config.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sandbox/sandbox_policy.h"
#include "sandbox/seccomp_program.h"
#include "sandbox/syscall_recorder_linux.h"
#include "sandbox/syscall_table.h"

namespace bulkhead::sandbox {
namespace {

// What A knows of B: its pid as their namespace numbers it, as /proc (the
// host's) numbers it, and where its canary is (the same address in both:
// forked from one process, they share its layout).
struct Target {
  pid_t pid = 0;
  pid_t proc_pid = 0;
  uint64_t* canary = nullptr;
  int pidfd = -1;  // B's, opened by A before its lockdown (an inherited fd).
};

constexpr uint64_t kCanary = 0x5eedfacecafef00d;
uint64_t g_canary = kCanary;

// A's account of its attempt.
struct AttemptReport {
  long trapped = -1;  // The system call a SIGSYS named; -1: none.
  long result = 0;    // What the attempt returned, when it returned.
  int error = 0;
};

// B's account of itself, once A is done.
struct SiblingReport {
  uint64_t canary = 0;
  uint64_t nofile = 0;
  long scheduler = -1;
};

// What init saw; sent to the test.
struct Outcome {
  bool init_ok = false;
  bool attempt_reported = false;
  AttemptReport attempt;
  int attacker_status = -1;
  bool sibling_reported = false;
  SiblingReport sibling;
  int sibling_status = -1;
  uint64_t sibling_nofile_before = 0;
  // B's nice value and I/O priority, as init reads them before B starts and
  // once A is done.
  int sibling_nice_before = 0;
  int sibling_nice = 0;
  long sibling_ioprio_before = -1;
  long sibling_ioprio = -1;
};

enum class PolicyKind {
  kBase,      // The renderer preset: the base runtime alone.
  kRoleAdds,  // A role that adds every pid-naming call Build() accepts.
  kData,      // Policy data naming calls Build() refuses (ptrace, ...).
  kLearn,     // The renderer preset in learning mode.
  kIoctl,     // The renderer preset with ioctl (and socketpair) outright.
};

SandboxPolicy PolicyFor(PolicyKind kind) {
  SandboxPolicy renderer = PresetForRole("renderer");
  switch (kind) {
    case PolicyKind::kBase:
      return renderer;
    case PolicyKind::kRoleAdds: {
      absl::StatusOr<SandboxPolicy> policy =
          SandboxPolicyBuilder::FromPolicy(renderer)
              .AllowSyscalls({"kill", "tkill", "rt_sigqueueinfo",
                              "rt_tgsigqueueinfo", "pidfd_open",
                              "process_vm_readv", "process_vm_writev", "kcmp",
                              "setpriority", "ioprio_set", "get_robust_list",
                              "move_pages", "migrate_pages", "perf_event_open"})
              .Build();
      EXPECT_TRUE(policy.ok()) << policy.status();
      return policy.ok() ? *policy : renderer;
    }
    case PolicyKind::kData:
      renderer.allowed_syscalls.push_back("ptrace");
      renderer.allowed_syscalls.push_back("pidfd_send_signal");
      return renderer;
    case PolicyKind::kLearn:
      renderer.violation_action = ViolationAction::kLearn;
      return renderer;
    case PolicyKind::kIoctl: {
      auto& rules = renderer.argument_rules;
      rules.erase(std::remove_if(rules.begin(), rules.end(),
                                 [](const ArgumentRule& rule) {
                                   return rule.syscall == "ioctl";
                                 }),
                  rules.end());
      absl::StatusOr<SandboxPolicy> policy =
          SandboxPolicyBuilder::FromPolicy(renderer)
              .AllowSyscalls({"ioctl", "socketpair"})
              .Build();
      EXPECT_TRUE(policy.ok()) << policy.status();
      return policy.ok() ? *policy : renderer;
    }
  }
  return renderer;
}

// linux/ioprio.h's values (not in every distribution's headers).
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioWhoUser = 3;
constexpr int kIoprioBestEffortLowest = (2 << 13) | 7;

bool WriteAll(int fd, const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Reads exactly `size` bytes, waiting at most `timeout_ms` for each part.
bool ReadAll(int fd, void* data, size_t size, int timeout_ms) {
  char* bytes = static_cast<char*>(data);
  while (size > 0) {
    pollfd readable = {fd, POLLIN, 0};
    const int ready = ::poll(&readable, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::read(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool Install(const std::string& program, bool learning) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  if (!learning) return InstallSeccompProgram(program).ok();
  // Never freed: the process ends with it.
  auto* recorder = new SyscallRecorder;
  recorder->Prepare();
  absl::StatusOr<int> listener = InstallSeccompProgram(program, true);
  recorder->Attach(listener.ok() ? *listener : -1);
  return listener.ok();
}

int g_report_fd = -1;

// A refused call traps: say which, and end.
void OnSigsys(int, siginfo_t* info, void*) {
  AttemptReport report;
  report.trapped = info->si_syscall;
  WriteAll(g_report_fd, &report, sizeof(report));
  ::_exit(0);
}

[[noreturn]] void RunSibling(const std::string& program, int info_fd, int go_fd,
                             int report_fd) {
  Target self;
  self.pid = static_cast<pid_t>(::getpid());
  self.canary = &g_canary;
  // As the host's /proc numbers it: read before the lockdown.
  char link[32] = {};
  if (::readlink("/proc/self", link, sizeof(link) - 1) <= 0 ||
      !absl::SimpleAtoi(link, &self.proc_pid)) {
    ::_exit(6);
  }
  if (!Install(program, false)) ::_exit(3);
  if (!WriteAll(info_fd, &self, sizeof(self))) ::_exit(4);
  char go = 0;
  if (::read(go_fd, &go, 1) != 1) ::_exit(5);
  SiblingReport report;
  report.canary = g_canary;
  rlimit limit = {};
  if (::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &limit) == 0) {
    report.nofile = limit.rlim_cur;
  }
  report.scheduler = ::syscall(SYS_sched_getscheduler, 0);
  ::_exit(WriteAll(report_fd, &report, sizeof(report)) ? 0 : 6);
}

using Attempt = std::function<long(const Target&)>;

[[noreturn]] void RunAttacker(const std::string& program, bool learning,
                              const Attempt& attempt, int info_fd,
                              int report_fd) {
  Target target;
  if (!ReadAll(info_fd, &target, sizeof(target), 10000)) ::_exit(3);
  target.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, target.pid, 0));
  g_report_fd = report_fd;
  struct sigaction on_sigsys = {};
  on_sigsys.sa_sigaction = OnSigsys;
  on_sigsys.sa_flags = SA_SIGINFO;
  ::sigaction(SIGSYS, &on_sigsys, nullptr);
  if (!Install(program, learning)) ::_exit(4);
  AttemptReport report;
  errno = 0;
  report.result = attempt(target);
  report.error = errno;
  ::_exit(WriteAll(report_fd, &report, sizeof(report)) ? 0 : 5);
}

// pid 1 of the new namespaces: forks B, then A, and reports what came of it.
[[noreturn]] void RunInit(const std::string& attacker_program, bool learning,
                          const std::string& sibling_program,
                          const Attempt& attempt, int outcome_fd) {
  Outcome outcome;
  // A fresh session and group of its own: a kill(0) that got through must
  // reach only this namespace's processes, never the test's group.
  if (::getpid() != 1 || ::setsid() != 1) ::_exit(2);
  int info[2], go[2], sibling_report[2], attempt_report[2];
  if (::pipe2(info, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0 ||
      ::pipe2(sibling_report, O_CLOEXEC) != 0 ||
      ::pipe2(attempt_report, O_CLOEXEC) != 0) {
    ::_exit(3);
  }
  rlimit limit = {};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  outcome.sibling_nofile_before = limit.rlim_cur;
  outcome.sibling_nice_before = ::getpriority(PRIO_PROCESS, 0);
  outcome.sibling_ioprio_before =
      ::syscall(SYS_ioprio_get, kIoprioWhoProcess, 0);
  // Each child keeps only its own ends: a pipe reads end of file as soon
  // as the one process that writes to it has ended.
  const pid_t sibling = ::fork();
  if (sibling == 0) {
    for (int fd : {info[0], go[1], sibling_report[0], attempt_report[0],
                   attempt_report[1]}) {
      ::close(fd);
    }
    RunSibling(sibling_program, info[1], go[0], sibling_report[1]);
  }
  const pid_t attacker = ::fork();
  if (attacker == 0) {
    for (int fd : {info[1], go[0], go[1], sibling_report[0], sibling_report[1],
                   attempt_report[0]}) {
      ::close(fd);
    }
    RunAttacker(attacker_program, learning, attempt, info[0],
                attempt_report[1]);
  }
  for (int fd :
       {info[0], info[1], go[0], attempt_report[1], sibling_report[1]}) {
    ::close(fd);
  }
  outcome.init_ok = sibling > 0 && attacker > 0;
  // The attempt's report, or end of file when A died without one.
  outcome.attempt_reported = ReadAll(attempt_report[0], &outcome.attempt,
                                     sizeof(outcome.attempt), 10000);
  if (!outcome.attempt_reported) ::kill(attacker, SIGKILL);
  ::waitpid(attacker, &outcome.attacker_status, 0);
  outcome.sibling_nice = ::getpriority(PRIO_PROCESS, sibling);
  outcome.sibling_ioprio =
      ::syscall(SYS_ioprio_get, kIoprioWhoProcess, sibling);
  // B, intact, answers at once; one that was stopped or killed does not.
  WriteAll(go[1], "g", 1);
  outcome.sibling_reported = ReadAll(sibling_report[0], &outcome.sibling,
                                     sizeof(outcome.sibling), 5000);
  if (!outcome.sibling_reported) ::kill(sibling, SIGKILL);
  ::waitpid(sibling, &outcome.sibling_status, 0);
  ::_exit(WriteAll(outcome_fd, &outcome, sizeof(outcome)) ? 0 : 4);
}

// Runs `attempt` in A against B, both in one new user and pid namespace.
Outcome RunSiblings(PolicyKind kind, const Attempt& attempt) {
  Outcome outcome;
  // Compiled here, in the "host", before either helper exists.
  const SandboxPolicy attacker_policy = PolicyFor(kind);
  absl::StatusOr<std::string> attacker_program =
      CompileSeccompProgram(attacker_policy);
  absl::StatusOr<std::string> sibling_program =
      CompileSeccompProgram(PresetForRole("gpu"));
  EXPECT_TRUE(attacker_program.ok()) << attacker_program.status();
  EXPECT_TRUE(sibling_program.ok()) << sibling_program.status();
  if (!attacker_program.ok() || !sibling_program.ok()) return outcome;
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) return outcome;
  const long init = ::syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD,
                              nullptr, nullptr, nullptr, nullptr);
  if (init == 0) {
    ::close(pipe[0]);
    RunInit(*attacker_program, kind == PolicyKind::kLearn, *sibling_program,
            attempt, pipe[1]);
  }
  ::close(pipe[1]);
  EXPECT_GT(init, 0) << "clone(CLONE_NEWUSER | CLONE_NEWPID): "
                     << std::strerror(errno);
  if (init > 0) {
    const bool reported = ReadAll(pipe[0], &outcome, sizeof(outcome), 30000);
    if (!reported) ::kill(static_cast<pid_t>(init), SIGKILL);
    int status = 0;
    while (::waitpid(static_cast<pid_t>(init), &status, 0) < 0 &&
           errno == EINTR) {
    }
    EXPECT_TRUE(reported) << "init ended with status " << status;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  ::close(pipe[0]);
  return outcome;
}

std::string Describe(int status) {
  if (status == -1) return "not waited for";
  if (WIFEXITED(status)) return absl::StrCat("exit ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return absl::StrCat("status ", status);
}

// B answered, its memory, limits and scheduling as they were, and it ended
// as it means to.
void ExpectSiblingUntouched(const Outcome& outcome) {
  ASSERT_TRUE(outcome.init_ok);
  EXPECT_TRUE(outcome.sibling_reported)
      << "B did not answer: " << Describe(outcome.sibling_status);
  EXPECT_TRUE(WIFEXITED(outcome.sibling_status) &&
              WEXITSTATUS(outcome.sibling_status) == 0)
      << "B: " << Describe(outcome.sibling_status);
  EXPECT_EQ(outcome.sibling.canary, kCanary);
  EXPECT_EQ(outcome.sibling.nofile, outcome.sibling_nofile_before);
  EXPECT_EQ(outcome.sibling.scheduler, SCHED_OTHER);
  EXPECT_EQ(outcome.sibling_nice, outcome.sibling_nice_before);
  EXPECT_EQ(outcome.sibling_ioprio, outcome.sibling_ioprio_before);
}

struct Case {
  const char* name;
  PolicyKind policy;
  const char* syscall;  // The call the filter must trap; null: none.
  Attempt attempt;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

long Kill(pid_t pid) { return ::syscall(SYS_kill, pid, SIGKILL); }

long Queue(long call, pid_t pid, bool with_thread) {
  siginfo_t info = {};
  info.si_signo = SIGKILL;
  info.si_code = SI_QUEUE;
  return with_thread ? ::syscall(call, pid, pid, SIGKILL, &info)
                     : ::syscall(call, pid, SIGKILL, &info);
}

// Makes B the owner of a pipe's read end (F_SETOWN by pid, or F_SETOWN_EX
// naming its process), asks for SIGKILL rather than SIGIO, and writes: the
// kernel signals the owner, checking only that it has the caller's uid.
long SignalByDescriptor(const Target& b, bool extended) {
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  long owned;
  if (extended) {
    f_owner_ex owner = {F_OWNER_PID, b.pid};
    owned = ::syscall(SYS_fcntl, pipe[0], F_SETOWN_EX, &owner);
  } else {
    owned = ::syscall(SYS_fcntl, pipe[0], F_SETOWN, b.pid);
  }
  if (owned != 0) return owned;
  if (::syscall(SYS_fcntl, pipe[0], F_SETSIG, SIGKILL) != 0 ||
      ::syscall(SYS_fcntl, pipe[0], F_SETFL, O_ASYNC | O_NONBLOCK) != 0) {
    return -1;
  }
  return ::write(pipe[1], "x", 1);
}

const Case kAttempts[] = {
    // The base runtime's own calls, against a sibling.
    {"TgkillBase", PolicyKind::kBase, "tgkill",
     [](const Target& b) {
       return ::syscall(SYS_tgkill, b.pid, b.pid, SIGKILL);
     }},
    {"Prlimit64Base", PolicyKind::kBase, "prlimit64",
     [](const Target& b) {
       const rlimit tiny = {3, 3};
       return ::syscall(SYS_prlimit64, b.pid, RLIMIT_NOFILE, &tiny, nullptr);
     }},
    {"SchedSetschedulerBase", PolicyKind::kBase, "sched_setscheduler",
     [](const Target& b) {
       const sched_param param = {};
       return ::syscall(SYS_sched_setscheduler, b.pid, SCHED_IDLE, &param);
     }},
    // fcntl is in the base runtime outright: a descriptor's owner, named by
    // pid, is sent a signal of the caller's choice when it gets ready.
    {"FcntlSetownBase", PolicyKind::kBase, "fcntl",
     [](const Target& b) { return SignalByDescriptor(b, false); }},
    {"FcntlSetownExBase", PolicyKind::kBase, "fcntl",
     [](const Target& b) { return SignalByDescriptor(b, true); }},
    // The same by ioctl, where a role allows it outright (a GPU driver's).
    {"IoctlFiosetownIoctl", PolicyKind::kIoctl, "ioctl",
     [](const Target& b) {
       int pipe[2];
       if (::pipe2(pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1L;
       const int owner = b.pid;
       const int on = 1;
       if (::ioctl(pipe[0], FIOSETOWN, &owner) != 0) return -2L;
       if (::fcntl(pipe[0], F_SETSIG, SIGKILL) != 0 ||
           ::ioctl(pipe[0], FIOASYNC, &on) != 0) {
         return -3L;
       }
       return long{::write(pipe[1], "x", 1)};
     }},
    {"IoctlSiocspgrpIoctl", PolicyKind::kIoctl, "ioctl",
     [](const Target& b) {
       int pair[2];
       if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
         return -1L;
       }
       const int owner = b.pid;
       const int on = 1;
       if (::ioctl(pair[0], SIOCSPGRP, &owner) != 0) return -2L;
       if (::fcntl(pair[0], F_SETSIG, SIGKILL) != 0 ||
           ::ioctl(pair[0], FIOASYNC, &on) != 0) {
         return -3L;
       }
       return long{::write(pair[1], "x", 1)};
     }},
    // A role that adds the pid-naming calls still reaches only itself.
    {"KillRoleAdds", PolicyKind::kRoleAdds, "kill",
     [](const Target& b) { return Kill(b.pid); }},
    {"KillOwnGroupRoleAdds", PolicyKind::kRoleAdds, "kill",
     [](const Target&) { return Kill(0); }},
    {"KillEveryoneRoleAdds", PolicyKind::kRoleAdds, "kill",
     [](const Target&) { return Kill(-1); }},
    {"TkillRoleAdds", PolicyKind::kRoleAdds, "tkill",
     [](const Target& b) { return ::syscall(SYS_tkill, b.pid, SIGKILL); }},
    {"RtSigqueueinfoRoleAdds", PolicyKind::kRoleAdds, "rt_sigqueueinfo",
     [](const Target& b) { return Queue(SYS_rt_sigqueueinfo, b.pid, false); }},
    {"RtTgsigqueueinfoRoleAdds", PolicyKind::kRoleAdds, "rt_tgsigqueueinfo",
     [](const Target& b) { return Queue(SYS_rt_tgsigqueueinfo, b.pid, true); }},
    {"PidfdOpenRoleAdds", PolicyKind::kRoleAdds, "pidfd_open",
     [](const Target& b) {
       const long pidfd = ::syscall(SYS_pidfd_open, b.pid, 0);
       if (pidfd < 0) return pidfd;
       return ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
     }},
    {"ProcessVmReadvRoleAdds", PolicyKind::kRoleAdds, "process_vm_readv",
     [](const Target& b) {
       uint64_t copy = 0;
       iovec local = {&copy, sizeof(copy)};
       iovec remote = {b.canary, sizeof(copy)};
       return long{::process_vm_readv(b.pid, &local, 1, &remote, 1, 0)};
     }},
    {"ProcessVmWritevRoleAdds", PolicyKind::kRoleAdds, "process_vm_writev",
     [](const Target& b) {
       uint64_t forged = 1;
       iovec local = {&forged, sizeof(forged)};
       iovec remote = {b.canary, sizeof(forged)};
       return long{::process_vm_writev(b.pid, &local, 1, &remote, 1, 0)};
     }},
    {"KcmpRoleAdds", PolicyKind::kRoleAdds, "kcmp",
     [](const Target& b) {
       return ::syscall(SYS_kcmp, ::getpid(), b.pid, KCMP_VM, 0, 0);
     }},
    // By user (the siblings share one) or by group, not only by pid.
    {"SetpriorityUserRoleAdds", PolicyKind::kRoleAdds, "setpriority",
     [](const Target&) { return long{::setpriority(PRIO_USER, 0, 19)}; }},
    {"SetpriorityProcessRoleAdds", PolicyKind::kRoleAdds, "setpriority",
     [](const Target& b) {
       return long{::setpriority(PRIO_PROCESS, b.pid, 19)};
     }},
    {"IoprioSetUserRoleAdds", PolicyKind::kRoleAdds, "ioprio_set",
     [](const Target&) {
       return ::syscall(SYS_ioprio_set, kIoprioWhoUser, 0,
                        kIoprioBestEffortLowest);
     }},
    {"IoprioSetProcessRoleAdds", PolicyKind::kRoleAdds, "ioprio_set",
     [](const Target& b) {
       return ::syscall(SYS_ioprio_set, kIoprioWhoProcess, b.pid,
                        kIoprioBestEffortLowest);
     }},
    // Calls the kernel checks as ptrace (not-dumpable bars them, but that is
    // a layer a policy can turn off): reading where B's robust futex list
    // is, where its pages are, or profiling it.
    {"GetRobustListRoleAdds", PolicyKind::kRoleAdds, "get_robust_list",
     [](const Target& b) {
       void* head = nullptr;
       size_t length = 0;
       return ::syscall(SYS_get_robust_list, b.pid, &head, &length);
     }},
    {"MovePagesRoleAdds", PolicyKind::kRoleAdds, "move_pages",
     [](const Target& b) {
       void* page = b.canary;
       int status = 0;
       return ::syscall(SYS_move_pages, b.pid, 1, &page, nullptr, &status, 0);
     }},
    {"MigratePagesRoleAdds", PolicyKind::kRoleAdds, "migrate_pages",
     [](const Target& b) {
       const unsigned long nodes = 1;
       return ::syscall(SYS_migrate_pages, b.pid, 8 * sizeof(nodes), &nodes,
                        &nodes);
     }},
    {"PerfEventOpenRoleAdds", PolicyKind::kRoleAdds, "perf_event_open",
     [](const Target& b) {
       perf_event_attr attr = {};
       attr.size = sizeof(attr);
       attr.type = PERF_TYPE_SOFTWARE;
       attr.config = PERF_COUNT_SW_TASK_CLOCK;
       attr.exclude_kernel = 1;
       return ::syscall(SYS_perf_event_open, &attr, b.pid, -1, -1, 0);
     }},
    // Calls no policy may allow, even when its data names them.
    {"PtraceAttachData", PolicyKind::kData, "ptrace",
     [](const Target& b) {
       return ::syscall(SYS_ptrace, PTRACE_ATTACH, b.pid, nullptr, nullptr);
     }},
    {"PidfdSendSignalData", PolicyKind::kData, "pidfd_send_signal",
     [](const Target& b) {
       return ::syscall(SYS_pidfd_send_signal, b.pidfd, SIGKILL, nullptr, 0);
     }},
    // Learning mode lets calls through, but not into a sibling.
    {"TgkillLearn", PolicyKind::kLearn, "tgkill",
     [](const Target& b) {
       return ::syscall(SYS_tgkill, b.pid, b.pid, SIGKILL);
     }},
    {"KillLearn", PolicyKind::kLearn, "kill",
     [](const Target& b) { return Kill(b.pid); }},
    {"FcntlSetownLearn", PolicyKind::kLearn, "fcntl",
     [](const Target& b) { return SignalByDescriptor(b, false); }},
    {"PtraceAttachLearn", PolicyKind::kLearn, "ptrace",
     [](const Target& b) {
       return ::syscall(SYS_ptrace, PTRACE_ATTACH, b.pid, nullptr, nullptr);
     }},
};

class SiblingAttemptTest : public ::testing::TestWithParam<Case> {};

TEST_P(SiblingAttemptTest, IsTrappedAndTheSiblingIsUntouched) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  GTEST_SKIP() << "ThreadSanitizer's state does not survive a raw clone";
#endif
  const Case& c = GetParam();
  const Outcome outcome = RunSiblings(c.policy, c.attempt);
  ASSERT_TRUE(outcome.init_ok);
  ASSERT_TRUE(outcome.attempt_reported)
      << "A: " << Describe(outcome.attacker_status);
  EXPECT_EQ(outcome.attempt.trapped, *SyscallNumber(c.syscall))
      << "A's " << c.syscall << " returned " << outcome.attempt.result
      << " (errno " << outcome.attempt.error << ", "
      << std::strerror(outcome.attempt.error) << ")";
  ExpectSiblingUntouched(outcome);
}

INSTANTIATE_TEST_SUITE_P(Siblings, SiblingAttemptTest,
                         ::testing::ValuesIn(kAttempts),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

// /proc/<B>/mem: paths fail with EACCES under the base filter (the chroot and
// not-dumpable layers bar it too, outside this test).
TEST(SiblingsTest, OpeningTheSiblingsMemoryFails) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  GTEST_SKIP() << "ThreadSanitizer's state does not survive a raw clone";
#endif
  const Outcome outcome = RunSiblings(PolicyKind::kBase, [](const Target& b) {
    const std::string path = absl::StrCat("/proc/", b.proc_pid, "/mem");
    return long{::open(path.c_str(), O_RDWR | O_CLOEXEC)};
  });
  ASSERT_TRUE(outcome.attempt_reported);
  EXPECT_EQ(outcome.attempt.trapped, -1);
  EXPECT_EQ(outcome.attempt.result, -1);
  EXPECT_EQ(outcome.attempt.error, EACCES);
  ExpectSiblingUntouched(outcome);
}

std::atomic<int> g_caught{0};
void OnCaught(int) { g_caught.fetch_add(1); }

void CatchUsr1AndUsr2() {
  struct sigaction caught = {};
  caught.sa_handler = OnCaught;
  ::sigaction(SIGUSR1, &caught, nullptr);
  ::sigaction(SIGUSR2, &caught, nullptr);
}

// What a helper does to itself passes, in the same namespace beside B.
struct SelfCase {
  const char* name;
  PolicyKind policy;
  Attempt attempt;  // Returns 0 when all went as it should.
};

void PrintTo(const SelfCase& c, std::ostream* os) { *os << c.name; }

const SelfCase kOwnProcess[] = {
    {"RaiseBase", PolicyKind::kBase,
     [](const Target&) -> long {
       CatchUsr1AndUsr2();
       return ::raise(SIGUSR1) == 0 && g_caught.load() == 1 ? 0 : 1;
     }},
    {"ThreadsSignalEachOtherBase", PolicyKind::kBase,
     [](const Target&) -> long {
       CatchUsr1AndUsr2();
       const pthread_t main_thread = ::pthread_self();
       int from_thread = -1;
       // tgkill(pid, main's tid) from a thread, and on itself.
       std::thread([&] {
         from_thread =
             ::pthread_kill(main_thread, SIGUSR1) == 0 && ::raise(SIGUSR2) == 0
                 ? 0
                 : 1;
       }).join();
       return from_thread == 0 && g_caught.load() == 2 ? 0 : 1;
     }},
    {"OwnLimitsAndSchedulingBase", PolicyKind::kBase,
     [](const Target&) -> long {
       rlimit limit = {};
       const sched_param param = {};
       return ::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &limit) ==
                          0 &&
                      ::syscall(SYS_prlimit64, ::getpid(), RLIMIT_NOFILE,
                                nullptr, &limit) == 0 &&
                      ::syscall(SYS_sched_setscheduler, 0, SCHED_IDLE,
                                &param) == 0 &&
                      ::syscall(SYS_sched_setscheduler, ::getpid(), SCHED_IDLE,
                                &param) == 0
                  ? 0
                  : 1;
     }},
    {"KillAndQueueToItselfRoleAdds", PolicyKind::kRoleAdds,
     [](const Target&) -> long {
       CatchUsr1AndUsr2();
       siginfo_t info = {};
       info.si_signo = SIGUSR2;
       info.si_code = SI_QUEUE;
       return ::syscall(SYS_kill, ::getpid(), SIGUSR1) == 0 &&
                      ::syscall(SYS_rt_sigqueueinfo, ::getpid(), SIGUSR2,
                                &info) == 0 &&
                      ::syscall(SYS_tkill, ::getpid(), SIGUSR1) == 0 &&
                      g_caught.load() == 3
                  ? 0
                  : 1;
     }},
    {"ItsOwnMemoryRoleAdds", PolicyKind::kRoleAdds,
     [](const Target&) -> long {
       uint64_t copy = 0;
       iovec local = {&copy, sizeof(copy)};
       iovec remote = {&g_canary, sizeof(copy)};
       const pid_t self = ::getpid();
       return ::process_vm_readv(self, &local, 1, &remote, 1, 0) ==
                          sizeof(copy) &&
                      copy == kCanary &&
                      ::syscall(SYS_kcmp, self, self, KCMP_VM, 0, 0) == 0
                  ? 0
                  : 1;
     }},
    {"OwnDescriptorsSignalBase", PolicyKind::kBase,
     [](const Target&) -> long {
       CatchUsr1AndUsr2();
       int pipe[2];
       if (::pipe2(pipe, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
       // Owned by itself, by none, by itself again; read back.
       return ::fcntl(pipe[0], F_SETOWN, ::getpid()) == 0 &&
                      ::fcntl(pipe[0], F_SETOWN, 0) == 0 &&
                      ::fcntl(pipe[0], F_SETOWN, ::getpid()) == 0 &&
                      ::fcntl(pipe[0], F_GETOWN) == ::getpid() &&
                      ::fcntl(pipe[0], F_SETSIG, SIGUSR1) == 0 &&
                      ::fcntl(pipe[0], F_SETFL, O_ASYNC | O_NONBLOCK) == 0 &&
                      ::write(pipe[1], "x", 1) == 1 && g_caught.load() == 1
                  ? 0
                  : 1;
     }},
    {"OwnPrioritiesRoleAdds", PolicyKind::kRoleAdds,
     [](const Target&) -> long {
       return ::setpriority(PRIO_PROCESS, 0, 1) == 0 &&
                      ::setpriority(PRIO_PROCESS, ::getpid(), 2) == 0 &&
                      ::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0,
                                kIoprioBestEffortLowest) == 0 &&
                      ::syscall(SYS_ioprio_set, kIoprioWhoProcess, ::getpid(),
                                kIoprioBestEffortLowest) == 0
                  ? 0
                  : 1;
     }},
    {"OwnRobustListAndPagesRoleAdds", PolicyKind::kRoleAdds,
     [](const Target&) -> long {
       void* head = nullptr;
       size_t length = 0;
       void* page = &g_canary;
       int status = -1;
       const pid_t self = ::getpid();
       return ::syscall(SYS_get_robust_list, 0, &head, &length) == 0 &&
                      ::syscall(SYS_get_robust_list, self, &head, &length) ==
                          0 &&
                      ::syscall(SYS_move_pages, 0, 1, &page, nullptr, &status,
                                0) == 0 &&
                      status >= 0 &&
                      ::syscall(SYS_move_pages, self, 1, &page, nullptr,
                                &status, 0) == 0
                  ? 0
                  : 1;
     }},
    {"RaiseLearn", PolicyKind::kLearn,
     [](const Target&) -> long {
       CatchUsr1AndUsr2();
       return ::raise(SIGUSR1) == 0 && g_caught.load() == 1 ? 0 : 1;
     }},
};

class OwnProcessTest : public ::testing::TestWithParam<SelfCase> {};

TEST_P(OwnProcessTest, Works) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  GTEST_SKIP() << "ThreadSanitizer's state does not survive a raw clone";
#endif
  const SelfCase& c = GetParam();
  const Outcome outcome = RunSiblings(c.policy, c.attempt);
  ASSERT_TRUE(outcome.attempt_reported)
      << "A: " << Describe(outcome.attacker_status);
  EXPECT_EQ(outcome.attempt.trapped, -1)
      << "trapped: " << SyscallName(static_cast<int>(outcome.attempt.trapped));
  EXPECT_EQ(outcome.attempt.result, 0)
      << "errno " << outcome.attempt.error << " ("
      << std::strerror(outcome.attempt.error) << ")";
  EXPECT_TRUE(WIFEXITED(outcome.attacker_status) &&
              WEXITSTATUS(outcome.attacker_status) == 0)
      << Describe(outcome.attacker_status);
  ExpectSiblingUntouched(outcome);
}

INSTANTIATE_TEST_SUITE_P(Siblings, OwnProcessTest,
                         ::testing::ValuesIn(kOwnProcess),
                         [](const ::testing::TestParamInfo<SelfCase>& info) {
                           return std::string(info.param.name);
                         });

// abort() still ends the helper by SIGABRT (a crash), not by the filter.
TEST(SiblingsTest, AbortEndsTheHelperBySigabrt) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  GTEST_SKIP() << "ThreadSanitizer's state does not survive a raw clone";
#endif
  const Outcome outcome = RunSiblings(PolicyKind::kBase, [](const Target&) {
    std::abort();
    return 0L;
  });
  EXPECT_FALSE(outcome.attempt_reported) << outcome.attempt.trapped;
  ASSERT_TRUE(WIFSIGNALED(outcome.attacker_status))
      << Describe(outcome.attacker_status);
  EXPECT_EQ(WTERMSIG(outcome.attacker_status), SIGABRT);
  ExpectSiblingUntouched(outcome);
}

// A keeper-shaped clone (CLONE_VM | CLONE_UNTRACED, which the base runtime
// allows for the teardown keeper) inherits the filter bound to its parent
// A's pid, and outlives A. If that number went to a new sibling B, the
// clone would pass every own-process check against B. A leads its session
// (as both launch paths make a helper), so the number stays the session's
// id while the clone lives, unless the clone can leave the session.
struct KeeperOutcome {
  bool init_ok = false;
  pid_t a = 0;
  pid_t b = 0;
  bool left_session = false;  // The clone's setsid succeeded.
  bool clone_tried = false;   // The clone, alive, tried A's pid.
  long clone_result = 0;
  bool sibling_reported = false;
  int sibling_status = -1;
};

struct KeeperPlan {
  pid_t a;
  bool leave_session;
  int ready_fd;   // The clone writes its setsid's result here...
  int done_fd;    // ...and a byte here, for A.
  int go_fd;      // Init writes B's pid here.
  int result_fd;  // The clone writes its tgkill's result here.
};

alignas(64) char g_keeper_stack[64 * 1024];

// Raw system calls only: it shares A's memory, thread-local storage included.
int KeeperShapedClone(void* argument) {
  const KeeperPlan plan = *static_cast<KeeperPlan*>(argument);
  const long left = plan.leave_session ? ::syscall(SYS_setsid) : -1;
  ::syscall(SYS_write, plan.ready_fd, &left, sizeof(left));
  ::syscall(SYS_write, plan.done_fd, "d", 1);
  pid_t b = 0;
  if (::syscall(SYS_read, plan.go_fd, &b, sizeof(b)) != sizeof(b)) {
    ::syscall(SYS_exit, 1);
  }
  // A's pid, the one its filter names, whoever holds it now.
  const long killed = ::syscall(SYS_tgkill, plan.a, plan.a, SIGKILL);
  ::syscall(SYS_write, plan.result_fd, &killed, sizeof(killed));
  ::syscall(SYS_exit, 0);
  return 0;
}

[[noreturn]] void RunKeeperInit(const std::string& attacker_program,
                                const std::string& sibling_program,
                                bool leave_session, int outcome_fd) {
  KeeperOutcome outcome;
  if (::getpid() != 1 || ::setsid() != 1) ::_exit(2);
  int ready[2], done[2], go[2], result[2];
  int info[2], sibling_go[2], sibling_report[2];
  for (int* pipe : {ready, done, go, result}) {
    if (::pipe2(pipe, O_CLOEXEC) != 0) ::_exit(3);
  }
  const pid_t a = ::fork();
  if (a == 0) {
    // A helper leads its session; then it locks itself down.
    if (::setsid() < 0) ::_exit(3);
    if (!Install(attacker_program, false)) ::_exit(4);
    KeeperPlan plan = {static_cast<pid_t>(::getpid()),
                       leave_session,
                       ready[1],
                       done[1],
                       go[0],
                       result[1]};
    if (::clone(KeeperShapedClone, g_keeper_stack + sizeof(g_keeper_stack),
                CLONE_VM | CLONE_UNTRACED, &plan) < 0) {
      ::_exit(5);
    }
    // Until the clone has tried to leave the session (or died trying).
    char byte;
    ::close(done[1]);
    ::read(done[0], &byte, 1);
    ::_exit(0);
  }
  for (int fd : {ready[1], done[0], done[1], go[0], result[1]}) ::close(fd);
  outcome.a = a;
  long left = -1;
  // End of file: the clone died on its setsid.
  outcome.left_session =
      ReadAll(ready[0], &left, sizeof(left), 10000) && left > 0;
  int a_status = 0;
  ::waitpid(a, &a_status, 0);
  // The next pid the namespace gives is A's, if A's is free.
  const int last = ::open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  const std::string before_a = absl::StrCat(a - 1);
  if (last < 0 || ::write(last, before_a.data(), before_a.size()) !=
                      static_cast<ssize_t>(before_a.size())) {
    ::_exit(6);
  }
  ::close(last);
  for (int* pipe : {info, sibling_go, sibling_report}) {
    if (::pipe2(pipe, O_CLOEXEC) != 0) ::_exit(3);
  }
  const pid_t b = ::fork();
  if (b == 0) {
    RunSibling(sibling_program, info[1], sibling_go[0], sibling_report[1]);
  }
  for (int fd : {info[1], sibling_go[0], sibling_report[1]}) ::close(fd);
  outcome.init_ok = a > 0 && b > 0;
  outcome.b = b;
  Target target;
  if (ReadAll(info[0], &target, sizeof(target), 10000)) {
    // B is locked down: the clone, if alive, tries A's pid now.
    WriteAll(go[1], &b, sizeof(b));
    outcome.clone_tried =
        ReadAll(result[0], &outcome.clone_result, sizeof(long), 5000);
  }
  WriteAll(sibling_go[1], "g", 1);
  SiblingReport report;
  outcome.sibling_reported =
      ReadAll(sibling_report[0], &report, sizeof(report), 5000);
  if (!outcome.sibling_reported) ::kill(b, SIGKILL);
  ::waitpid(b, &outcome.sibling_status, 0);
  ::_exit(WriteAll(outcome_fd, &outcome, sizeof(outcome)) ? 0 : 4);
}

KeeperOutcome RunKeeperAttempt(const SandboxPolicy& attacker_policy,
                               bool leave_session) {
  KeeperOutcome outcome;
  absl::StatusOr<std::string> attacker_program =
      CompileSeccompProgram(attacker_policy);
  absl::StatusOr<std::string> sibling_program =
      CompileSeccompProgram(PresetForRole("gpu"));
  EXPECT_TRUE(attacker_program.ok()) << attacker_program.status();
  EXPECT_TRUE(sibling_program.ok()) << sibling_program.status();
  if (!attacker_program.ok() || !sibling_program.ok()) return outcome;
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) return outcome;
  const long init = ::syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD,
                              nullptr, nullptr, nullptr, nullptr);
  if (init == 0) {
    ::close(pipe[0]);
    RunKeeperInit(*attacker_program, *sibling_program, leave_session, pipe[1]);
  }
  ::close(pipe[1]);
  EXPECT_GT(init, 0) << std::strerror(errno);
  if (init > 0) {
    const bool reported = ReadAll(pipe[0], &outcome, sizeof(outcome), 30000);
    if (!reported) ::kill(static_cast<pid_t>(init), SIGKILL);
    int status = 0;
    while (::waitpid(static_cast<pid_t>(init), &status, 0) < 0 &&
           errno == EINTR) {
    }
    EXPECT_TRUE(reported) << "init ended with status " << status;
  }
  ::close(pipe[0]);
  return outcome;
}

void ExpectKeeperCannotReachTheSibling(const KeeperOutcome& outcome) {
  ASSERT_TRUE(outcome.init_ok);
  EXPECT_FALSE(outcome.left_session);
  if (outcome.clone_tried) {
    // Alive, it holds A's pid as its session's id: B has another, and
    // tgkill finds no process by A's.
    EXPECT_NE(outcome.b, outcome.a) << "B was given A's pid";
    EXPECT_EQ(outcome.clone_result, -1);
  }
  EXPECT_TRUE(outcome.sibling_reported)
      << "B did not answer: " << Describe(outcome.sibling_status);
  EXPECT_TRUE(WIFEXITED(outcome.sibling_status) &&
              WEXITSTATUS(outcome.sibling_status) == 0)
      << "B: " << Describe(outcome.sibling_status);
}

// As the helpers are: A's pid stays its session's, and B gets another.
TEST(SiblingsTest, KeeperShapedCloneOutlivingItsHelperReachesNoSibling) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  GTEST_SKIP() << "ThreadSanitizer's state does not survive a raw clone";
#endif
  const KeeperOutcome outcome =
      RunKeeperAttempt(PolicyFor(PolicyKind::kBase), false);
  EXPECT_TRUE(outcome.clone_tried);
  ExpectKeeperCannotReachTheSibling(outcome);
}

// A policy that names setsid or setpgid must not let the clone leave A's
// session (and free A's pid for B, which the clone could then kill).
TEST(SiblingsTest, KeeperShapedCloneCannotLeaveTheSession) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  GTEST_SKIP() << "ThreadSanitizer's state does not survive a raw clone";
#endif
  // Policy data, as a host's configuration could say it.
  SandboxPolicy policy = PresetForRole("renderer");
  policy.allowed_syscalls.push_back("setsid");
  policy.allowed_syscalls.push_back("setpgid");
  ExpectKeeperCannotReachTheSibling(RunKeeperAttempt(policy, true));
}

}  // namespace
}  // namespace bulkhead::sandbox
