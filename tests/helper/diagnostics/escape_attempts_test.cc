#include "helper/diagnostics/escape_attempts.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_policy.h"
#include "tests/support/proc_probe_linux.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
constexpr bool kThreadSanitizer = __has_feature(thread_sanitizer);
#else
constexpr bool kThreadSanitizer = false;
#endif

// A child that blocks until its pipe reaches EOF, then exits 0: the stand-in
// for the host or a sibling helper.
struct StandIn {
  pid_t pid = -1;
  int read_fd = -1;   // The child's end (its "channel"), as numbered there.
  int write_fd = -1;  // Ours: closing it ends the child.
};

StandIn StartStandIn() {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  StandIn stand_in{::fork(), fds[0], fds[1]};
  if (stand_in.pid == 0) {
    ::close(fds[1]);
    char byte;
    while (::read(fds[0], &byte, 1) != 0) {
    }
    ::_exit(0);
  }
  ::close(fds[0]);
  return stand_in;
}

// 'S', 'T', ... from /proc/<pid>/stat.
char ProcessState(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2]
                                                               : '?';
}

void OnSentinelSigsys(int) {}

class EscapeAttemptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = StartStandIn();
    sibling_ = StartStandIn();
    char dir_template[] = "/tmp/escape_attempts_test_XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;

    tcp_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_NE(tcp_fd_, -1);
    sockaddr_in in = {};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t in_size = sizeof(in);
    ASSERT_EQ(::bind(tcp_fd_, reinterpret_cast<sockaddr*>(&in), in_size), 0);
    ASSERT_EQ(::listen(tcp_fd_, 8), 0);
    ASSERT_EQ(
        ::getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&in), &in_size), 0);

    unix_path_ = dir_ + "/listener.sock";
    unix_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_NE(unix_fd_, -1);
    sockaddr_un un = {};
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, unix_path_.c_str(), unix_path_.size());
    ASSERT_EQ(::bind(unix_fd_, reinterpret_cast<sockaddr*>(&un), sizeof(un)),
              0);
    ASSERT_EQ(::listen(unix_fd_, 8), 0);

    const std::string abstract_name =
        absl::StrCat("bulkhead-escape-attempts-test-", ::getpid());
    abstract_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_NE(abstract_fd_, -1);
    sockaddr_un abstract = {};
    abstract.sun_family = AF_UNIX;
    std::memcpy(abstract.sun_path + 1, abstract_name.data(),
                abstract_name.size());
    ASSERT_EQ(::bind(abstract_fd_, reinterpret_cast<sockaddr*>(&abstract),
                     static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                            1 + abstract_name.size())),
              0);
    ASSERT_EQ(::listen(abstract_fd_, 8), 0);
    targets_.abstract_socket_name = abstract_name;

    targets_.host_pid = host_.pid;
    targets_.sibling_pid = sibling_.pid;
    targets_.tcp_port = ntohs(in.sin_port);
    targets_.unix_socket_path = unix_path_;
    targets_.home_dir = dir_;
    targets_.sibling_channel_path =
        absl::StrCat("/proc/", sibling_.pid, "/fd/", sibling_.read_fd);
    targets_.environment_canary =
        absl::StrCat("escape-canary-", ::getpid(), "-not-for-helpers");
    ASSERT_EQ(::setenv("BULKHEAD_ESCAPE_CANARY",
                       targets_.environment_canary.c_str(), 1),
              0);
  }

  void TearDown() override {
    ::unsetenv("BULKHEAD_ESCAPE_CANARY");
    ::close(tcp_fd_);
    ::close(unix_fd_);
    ::close(abstract_fd_);
    ::unlink(unix_path_.c_str());
    ::rmdir(dir_.c_str());
    // The sibling holds a copy of the host's write end: close both first.
    for (StandIn* stand_in : {&host_, &sibling_}) ::close(stand_in->write_fd);
    for (StandIn* stand_in : {&host_, &sibling_}) {
      if (stand_in->pid <= 0) continue;
      int status = 0;
      ASSERT_EQ(::waitpid(stand_in->pid, &status, 0), stand_in->pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "stand-in ended with status " << status;
    }
  }

  // Runs `suite` in a forked child, which sends the results back as
  // "name\tblocked\toutcome" lines through the fd it is given. The test
  // process has a single thread, so the child may allocate.
  std::map<std::string, EscapeAttempt> RunInChild(
      const std::function<std::vector<EscapeAttempt>(int report_fd)>& suite,
      int& wait_status) {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(fds[0]);
      std::string report;
      for (const EscapeAttempt& a : suite(fds[1])) {
        absl::StrAppend(&report, a.name, "\t", a.blocked ? 1 : 0, "\t",
                        a.outcome, "\n");
      }
      for (size_t sent = 0; sent < report.size();) {
        const ssize_t n =
            ::write(fds[1], report.data() + sent, report.size() - sent);
        if (n <= 0) ::_exit(4);
        sent += static_cast<size_t>(n);
      }
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string report;
    char buffer[4096];
    pollfd pfd = {fds[0], POLLIN, 0};
    while (::poll(&pfd, 1, 30000) == 1) {
      const ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
      if (n <= 0) break;
      report.append(buffer, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    ::kill(child, SIGKILL);  // A no-op unless the deadline passed.
    EXPECT_EQ(::waitpid(child, &wait_status, 0), child);
    std::map<std::string, EscapeAttempt> attempts;
    for (absl::string_view line :
         absl::StrSplit(report, '\n', absl::SkipEmpty())) {
      const std::vector<std::string> fields =
          absl::StrSplit(line, absl::MaxSplits('\t', 2));
      if (fields.size() != 3) continue;
      attempts[fields[0]] = {fields[0], fields[1] == "1", fields[2]};
    }
    return attempts;
  }

  // Runs the suite in a forked child that first installs a seccomp filter
  // returning SECCOMP_RET_TRAP for `trapped` (and allowing the rest).
  std::map<std::string, EscapeAttempt> RunUnderFilter(
      const std::vector<long>& trapped, int& wait_status) {
    std::vector<sock_filter> program = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, testing::kAuditArch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr))};
    for (const long nr : trapped) {
      program.push_back(
          BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
      program.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
    }
    program.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    const sock_fprog fprog = {static_cast<unsigned short>(program.size()),
                              program.data()};
    return RunInChild(
        [&](int) {
          if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
              ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
            ::_exit(3);
          }
          return RunEscapeAttempts(targets_);
        },
        wait_status);
  }

  StandIn host_;
  StandIn sibling_;
  std::string dir_;
  std::string unix_path_;
  int tcp_fd_ = -1;
  int unix_fd_ = -1;
  int abstract_fd_ = -1;
  EscapeTargets targets_;
};

TEST_F(EscapeAttemptsTest, UnsandboxedAttemptsSucceedAndLeaveProcessIntact) {
  // State the suite must leave as it found it: a SIGSYS handler of ours, a
  // blocked SIGSYS, personality, rlimits, ids, root, cwd.
  struct sigaction sentinel = {};
  sentinel.sa_handler = &OnSentinelSigsys;
  struct sigaction saved_action = {};
  ASSERT_EQ(::sigaction(SIGSYS, &sentinel, &saved_action), 0);
  sigset_t sigsys_only;
  sigemptyset(&sigsys_only);
  sigaddset(&sigsys_only, SIGSYS);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &sigsys_only, nullptr), 0);
  const int persona = ::personality(0xffffffff);
  rlimit nofile = {}, as = {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  ASSERT_EQ(::getrlimit(RLIMIT_AS, &as), 0);
  struct stat root_before = {};
  ASSERT_EQ(::stat("/", &root_before), 0);
  char cwd_before[4096];
  ASSERT_NE(::getcwd(cwd_before, sizeof(cwd_before)), nullptr);
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();

  std::unique_ptr<EscapeBait> bait = EscapeBait::Plant();
  ASSERT_NE(bait, nullptr);
  const std::vector<EscapeAttempt> attempts =
      RunEscapeAttempts(targets_, bait.get());
  bait.reset();  // Its thread ends, its descriptors close.

  std::set<std::string> names;
  std::map<std::string, EscapeAttempt> by_name;
  for (const EscapeAttempt& attempt : attempts) {
    names.insert(attempt.name);
    by_name[attempt.name] = attempt;
    EXPECT_FALSE(attempt.outcome.empty()) << attempt.name;
    EXPECT_FALSE(absl::StartsWith(attempt.outcome, "SKIPPED"))
        << attempt.name << ": " << attempt.outcome;
    EXPECT_FALSE(absl::StartsWith(attempt.outcome, "UNKNOWN"))
        << attempt.name << ": " << attempt.outcome;
    EXPECT_FALSE(absl::StartsWith(attempt.outcome, "SIGSYS"))
        << attempt.name << ": " << attempt.outcome;
  }
  EXPECT_EQ(names.size(), attempts.size()) << "names must be distinct";
  EXPECT_GE(names.size(), 25u);

  // Unsandboxed, as any user, these get through: proof the probes see it.
  for (const char* name :
       {"open-etc-passwd", "list-home-dir", "create-file-tmp", "list-root",
        "socket-inet", "connect-tcp-localhost", "connect-unix-socket",
        "connect-abstract-socket", "kill-host", "kill-sibling",
        "open-sibling-channel", "fork", "execve-shell",
        // Without a lockdown, what was opened before it stays usable.
        "prelockdown-fd-inet-socket", "prelockdown-fd-unix-socket",
        "prelockdown-fd-pipe", "prelockdown-fd-eventfd", "prelockdown-fd-memfd",
        "prelockdown-fd-dev-null", "prelockdown-fd-file",
        "prelockdown-fd-directory", "prelockdown-thread-open-file",
        // The canary is in this process's own environ.
        "read-environment-canary"}) {
    ASSERT_TRUE(by_name.count(name)) << name;
    EXPECT_FALSE(by_name[name].blocked)
        << name << ": " << by_name[name].outcome;
    EXPECT_THAT(by_name[name].outcome, StartsWith("SUCCEEDED")) << name;
  }
  for (const char* name : {"execve-probe", "execveat-probe",
                           "seccomp-set-filter", "prctl-set-seccomp"}) {
    EXPECT_FALSE(by_name[name].blocked) << name;
    EXPECT_THAT(by_name[name].outcome, StartsWith("REACHABLE: EFAULT")) << name;
  }
  if (::geteuid() == 0) {
    EXPECT_THAT(by_name["prelockdown-thread-capabilities"].outcome,
                StartsWith("SUCCEEDED: it kept capabilities"));
    for (const char* name : {"ptrace-host", "ptrace-sibling", "open-host-mem",
                             "read-host-environ", "steal-sibling-channel",
                             "setuid-0", "chroot-again", "unshare-mount"}) {
      EXPECT_FALSE(by_name[name].blocked)
          << name << ": " << by_name[name].outcome;
    }
  }

  // The process and the stand-ins are intact.
  struct sigaction now = {};
  ASSERT_EQ(::sigaction(SIGSYS, &saved_action, &now), 0);
  EXPECT_EQ(now.sa_handler, &OnSentinelSigsys);
  sigset_t mask;
  ASSERT_EQ(::pthread_sigmask(SIG_UNBLOCK, &sigsys_only, &mask), 0);
  EXPECT_TRUE(sigismember(&mask, SIGSYS));
  EXPECT_EQ(::personality(0xffffffff), persona);
  rlimit limit = {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(limit.rlim_max, nofile.rlim_max);
  ASSERT_EQ(::getrlimit(RLIMIT_AS, &limit), 0);
  EXPECT_EQ(limit.rlim_max, as.rlim_max);
  struct stat root_after = {};
  ASSERT_EQ(::stat("/", &root_after), 0);
  EXPECT_EQ(root_after.st_ino, root_before.st_ino);
  EXPECT_EQ(root_after.st_dev, root_before.st_dev);
  char cwd_after[4096];
  ASSERT_NE(::getcwd(cwd_after, sizeof(cwd_after)), nullptr);
  EXPECT_STREQ(cwd_after, cwd_before);
  EXPECT_EQ(::getuid(), uid);
  EXPECT_EQ(::getgid(), gid);
  for (const StandIn* stand_in : {&host_, &sibling_}) {
    int status = 0;
    EXPECT_EQ(::waitpid(stand_in->pid, &status, WNOHANG), 0);
    const char state = ProcessState(stand_in->pid);
    EXPECT_TRUE(state == 'S' || state == 'R') << state;
  }
  const std::string leaf = absl::StrCat("bulkhead-escape-", ::getpid());
  struct stat leftover;
  EXPECT_NE(::stat((leaf + "-cwd").c_str(), &leftover), 0);
  EXPECT_NE(::stat(absl::StrCat("/tmp/", leaf, "-tmp").c_str(), &leftover), 0);
  EXPECT_NE(::stat(absl::StrCat("/tmp/", leaf, "-mnt").c_str(), &leftover), 0);
}

TEST_F(EscapeAttemptsTest, TrappedSyscallsAreBlockedAndTheHelperSurvives) {
  int status = 0;
  auto attempts =
      RunUnderFilter({SYS_mount, SYS_umount2, SYS_ptrace, SYS_socket}, status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status;
  ASSERT_GE(attempts.size(), 25u);
  const std::map<std::string, std::string> expected = {
      {"socket-inet", "socket"},         {"socket-inet6", "socket"},
      {"socket-netlink", "socket"},      {"socket-packet", "socket"},
      {"connect-unix-socket", "socket"}, {"ptrace-host", "ptrace"},
      {"ptrace-sibling", "ptrace"},      {"ptrace-traceme", "ptrace"},
      {"mount-tmpfs", "mount"}};
  for (const auto& [name, syscall] : expected) {
    EXPECT_TRUE(attempts[name].blocked) << name;
    EXPECT_EQ(attempts[name].outcome,
              absl::StrCat("SIGSYS: seccomp trapped ", syscall))
        << name;
  }
  EXPECT_TRUE(attempts["connect-tcp-localhost"].blocked);
  EXPECT_THAT(attempts["connect-tcp-localhost"].outcome,
              HasSubstr("SIGSYS: seccomp trapped socket"));
  // The rest of the helper's work goes on.
  EXPECT_FALSE(attempts["open-etc-passwd"].blocked);
  EXPECT_FALSE(attempts["fork"].blocked);
}

TEST_F(EscapeAttemptsTest, WithoutForkAttemptsRunInProcessAndStayBlocked) {
  if (kThreadSanitizer) {
    // TSan's fork interceptor detaches the thread's state before calling
    // fork; a trap inside fork then enters TSan's signal handler without it
    // and fails a TSan CHECK.
    GTEST_SKIP() << "TSan cannot take a SIGSYS while inside fork()";
  }
  int status = 0;
  std::vector<long> trapped = {SYS_clone,  SYS_clone3,   SYS_vfork,
                               SYS_execve, SYS_execveat, SYS_mount,
                               SYS_ptrace, SYS_setuid,   SYS_unshare};
#ifdef SYS_fork
  trapped.push_back(SYS_fork);
#endif
  auto attempts = RunUnderFilter(trapped, status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status;
  ASSERT_GE(attempts.size(), 25u);
  EXPECT_TRUE(attempts["fork"].blocked);
  EXPECT_EQ(attempts["fork"].outcome, "SIGSYS: seccomp trapped clone");
  EXPECT_TRUE(attempts["execve-shell"].blocked);
  EXPECT_THAT(attempts["execve-shell"].outcome, StartsWith("not reached"));
  EXPECT_EQ(attempts["execve-probe"].outcome, "SIGSYS: seccomp trapped execve");
  EXPECT_EQ(attempts["execveat-probe"].outcome,
            "SIGSYS: seccomp trapped execveat");
  const std::map<std::string, std::string> in_process = {
      {"ptrace-host", "ptrace"},   {"ptrace-traceme", "ptrace"},
      {"mount-tmpfs", "mount"},    {"setuid-0", "setuid"},
      {"unshare-user", "unshare"}, {"unshare-mount", "unshare"},
      {"unshare-net", "unshare"}};
  for (const auto& [name, syscall] : in_process) {
    EXPECT_TRUE(attempts[name].blocked) << name;
    EXPECT_EQ(attempts[name].outcome,
              absl::StrCat("SIGSYS: seccomp trapped ", syscall,
                           "; in-process: fork failed (SIGSYS: seccomp "
                           "trapped clone)"))
        << name;
  }
  EXPECT_FALSE(attempts["open-etc-passwd"].blocked);
}

TEST_F(EscapeAttemptsTest, WhatWasLeftBeforeALockdownIsClosedOrRefused) {
  if (kThreadSanitizer) {
    GTEST_SKIP() << "ThreadSanitizer starts a background thread in a forked "
                    "child, beside which the lockdown refuses to run";
  }
  int status = 0;
  auto attempts = RunInChild(
      [&](int report_fd) {
        std::unique_ptr<EscapeBait> bait = EscapeBait::Plant();
        sandbox::LockdownRequest request;
        request.policy = sandbox::NoSandboxPolicy();
        request.policy.layers[static_cast<int>(sandbox::Layer::kCloseFds)] =
            sandbox::Requirement::kRequired;
        request.policy.layers[static_cast<int>(sandbox::Layer::kNoNewPrivs)] =
            sandbox::Requirement::kRequired;
        request.host_namespaces = sandbox::CurrentNamespaces();
        request.keep_fds = {report_fd};
        const absl::Status locked = bait->LockDownBeside(
            [&] { return sandbox::LockDown(request).status(); });
        if (!locked.ok()) ::_exit(5);
        return RunEscapeAttempts(targets_, bait.get());
      },
      status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status;
  for (const char* kind : {"inet-socket", "unix-socket", "pipe", "eventfd",
                           "memfd", "dev-null", "file", "directory"}) {
    const std::string name = absl::StrCat("prelockdown-fd-", kind);
    ASSERT_TRUE(attempts.contains(name)) << name;
    EXPECT_TRUE(attempts[name].blocked)
        << name << ": " << attempts[name].outcome;
    EXPECT_THAT(attempts[name].outcome, HasSubstr("closed by the lockdown"))
        << name;
  }
  for (const char* name :
       {"prelockdown-thread-capabilities", "prelockdown-thread-open-file"}) {
    EXPECT_TRUE(attempts[name].blocked)
        << name << ": " << attempts[name].outcome;
    EXPECT_THAT(attempts[name].outcome,
                StartsWith("REFUSED: the lockdown would not run beside it"))
        << name;
  }
}

}  // namespace
}  // namespace bulkhead
