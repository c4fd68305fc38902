// The helper's lockdown, run for real in forked children of the test.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_probe.h"
#include "sandbox/seccomp_program.h"

namespace bulkhead::sandbox {
namespace {

// Runs `body` in a forked child; returns its exit code (or 100 + signal).
int InChild(const std::function<int()>& body) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(body());
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

SandboxPolicy OnlyLayers(
    std::initializer_list<std::pair<Layer, Requirement>> layers) {
  SandboxPolicy policy = NoSandboxPolicy();
  for (const auto& [layer, requirement] : layers) {
    policy.layers[static_cast<int>(layer)] = requirement;
  }
  return policy;
}

// A thread that waits until its pipe is written or closed: one started
// before the lockdown, as a library's pool would be.
class BlockedThread {
 public:
  BlockedThread() {
    if (::pipe(fds_) != 0) return;
    thread_ = std::thread([this] {
      tid_.store(static_cast<int>(::gettid()));
      char byte;
      while (::read(fds_[0], &byte, 1) < 0 && errno == EINTR) {
      }
    });
    while (tid_.load() == 0) std::this_thread::yield();
  }
  ~BlockedThread() {
    ::close(fds_[1]);
    if (thread_.joinable()) thread_.join();
    ::close(fds_[0]);
  }
  int tid() const { return tid_.load(); }

 private:
  int fds_[2] = {-1, -1};
  std::atomic<int> tid_{0};
  std::thread thread_;
};

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

const std::string* ProbeState(const SandboxReport& report,
                              const std::string& layer) {
  for (const auto& [name, state] : report.layers) {
    if (name == layer) return &state;
  }
  return nullptr;
}

#if defined(ABSL_HAVE_THREAD_SANITIZER)
// ThreadSanitizer starts a background thread in every forked child of a
// single-threaded process (ForkChildAfter) and registers no way to stop it
// there; the lockdown refuses it like any other thread. Sandboxed helpers are
// exec'd, where it has none.
#define SKIP_IN_FORKED_CHILD_UNDER_TSAN() \
  GTEST_SKIP() << "ThreadSanitizer's background thread in a forked child"
#else
#define SKIP_IN_FORKED_CHILD_UNDER_TSAN() (void)0
#endif

TEST(LockdownTest, RefusesAMultiThreadedProcessAndAppliesNothing) {
  const int code = InChild([] {
    BlockedThread thread;
    LockdownRequest request;
    request.policy = OnlyLayers({{Layer::kNoNewPrivs, Requirement::kRequired},
                                 {Layer::kCloseFds, Requirement::kRequired}});
    request.host_namespaces = CurrentNamespaces();
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (done.ok()) return 1;
    if (!absl::IsFailedPrecondition(done.status())) return 2;
    if (!IsMultiThreadedRefusal(done.status())) return 3;
    if (!absl::StrContains(done.status().message(),
                           absl::StrCat("tid ", thread.tid()))) {
      return 4;
    }
    // Nothing was applied.
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0) return 5;
    return LockdownOutcomes().empty() ? 0 : 6;
  });
  EXPECT_EQ(code, 0);
}

TEST(LockdownTest, ProbeChecksEveryThreadNotJustTheCaller) {
  SKIP_IN_FORKED_CHILD_UNDER_TSAN();
  const int code = InChild([] {
    // Capabilities of our own, as any user: a fresh user namespace.
    if (::unshare(CLONE_NEWUSER) != 0) return 10;
    BlockedThread thread;
    // The caller drops what a lockdown drops; the other thread keeps it.
    __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &header, data) != 0) return 11;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 12;
    const SandboxReport report = ProbeSandbox();
    const std::string* caps = ProbeState(report, "drop-caps");
    const std::string* nnp = ProbeState(report, "no-new-privs");
    if (caps == nullptr || nnp == nullptr) return 13;
    const std::string tid = absl::StrCat("thread ", thread.tid());
    if (!absl::StartsWith(*caps, "off") || !absl::StrContains(*caps, tid)) {
      return 14;
    }
    if (!absl::StartsWith(*nnp, "off") || !absl::StrContains(*nnp, tid)) {
      return 15;
    }
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(LockdownTest, CloseFdsKeepsOnlyWhatIsListed) {
  SKIP_IN_FORKED_CHILD_UNDER_TSAN();
  const int code = InChild([] {
    // Opened "before the lockdown" by a library: none of them names a path
    // that leads anywhere.
    const int socket = ::socket(AF_INET, SOCK_DGRAM, 0);
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return 10;
    const int event = ::eventfd(0, 0);
    const int memfd = static_cast<int>(::syscall(SYS_memfd_create, "bait", 0));
    const int dev_null = ::open("/dev/null", O_RDWR);
    const int dev_null_copy = ::dup(dev_null);
    // What the runtime names: kept; a listed directory is closed all the same.
    int kept[2];
    if (::pipe(kept) != 0) return 11;
    const int directory = ::open("/", O_RDONLY | O_DIRECTORY);
    for (int fd : {socket, event, memfd, dev_null, dev_null_copy, directory}) {
      if (fd < 0) return 12;
    }
    LockdownRequest request;
    request.policy = OnlyLayers({{Layer::kCloseFds, Requirement::kRequired}});
    request.host_namespaces = CurrentNamespaces();
    request.keep_fds = {kept[0], kept[1], directory};
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (!done.ok() || done->size() != 1 || !(*done)[0].in_force) return 13;
    for (int fd : {socket, pipe_fds[0], pipe_fds[1], event, memfd, dev_null,
                   dev_null_copy, directory}) {
      if (IsOpen(fd)) return 20 + fd;
    }
    for (int fd : {0, 1, 2, kept[0], kept[1]}) {
      if (!IsOpen(fd)) return 60 + fd;
    }
    // The kept pipe still works.
    if (::write(kept[1], "x", 1) != 1) return 14;
    char byte = 0;
    if (::read(kept[0], &byte, 1) != 1 || byte != 'x') return 15;
    // The outcome says what went.
    const std::string& detail = (*done)[0].detail;
    for (const char* kind :
         {"socket", "pipe", "eventfd", "memfd", "/dev/null", "directory"}) {
      if (!absl::StrContains(detail, kind)) return 16;
    }
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(LockdownTest, LandlockScopesAbstractSocketsAndSignalsToTheSandbox) {
  SKIP_IN_FORKED_CHILD_UNDER_TSAN();
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0,
                             LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 6) {
    GTEST_SKIP() << "Landlock ABI " << abi << ": no scoping before 6";
  }
  // A service of the host's on an abstract socket (as X and D-Bus are).
  const std::string name = absl::StrCat("bulkhead-lockdown-test-", ::getpid());
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, name.data(), name.size());
  const socklen_t size =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  const pid_t host = ::getpid();
  const int code = InChild([&] {
    // Before the lockdown it is reachable: the test aims at the right thing.
    const int before = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (::connect(before, reinterpret_cast<const sockaddr*>(&address), size) !=
        0) {
      return 10;
    }
    ::close(before);
    const int after = ::socket(AF_UNIX, SOCK_STREAM, 0);
    LockdownRequest request;
    // Without CAP_SYS_ADMIN, Landlock needs no_new_privs first.
    request.policy = OnlyLayers({{Layer::kNoNewPrivs, Requirement::kRequired},
                                 {Layer::kLandlock, Requirement::kRequired}});
    request.host_namespaces = CurrentNamespaces();
    request.keep_fds = {after};
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (!done.ok() || done->size() != 2) return 11;
    if (!absl::StrContains((*done)[1].detail, "scoped")) return 12;
    if (::connect(after, reinterpret_cast<const sockaddr*>(&address), size) ==
            0 ||
        errno != EPERM) {
      return 13;
    }
    // No signal leaves the sandbox, not even the null one.
    if (::kill(host, 0) == 0 || errno != EPERM) return 14;
    // Its own process is inside.
    if (::kill(::getpid(), 0) != 0) return 15;
    return 0;
  });
  ::close(listener);
  EXPECT_EQ(code, 0);
}

TEST(LockdownTest, RequiredLayerThatFailsStopsTheLockdownNamingIt) {
  SKIP_IN_FORKED_CHILD_UNDER_TSAN();
  // No private mount namespace here: the empty root cannot be made.
  const int code = InChild([] {
    LockdownRequest request;
    request.policy = OnlyLayers({{Layer::kChroot, Requirement::kRequired},
                                 {Layer::kNoNewPrivs, Requirement::kRequired}});
    request.host_namespaces = CurrentNamespaces();
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (done.ok()) return 1;
    if (!absl::IsFailedPrecondition(done.status())) return 2;
    if (!absl::StrContains(done.status().message(), "chroot (required)"))
      return 3;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(LockdownTest, MissingBestEffortLayerIsReportedAndTheRestApplies) {
  SKIP_IN_FORKED_CHILD_UNDER_TSAN();
  const int code = InChild([] {
    LockdownRequest request;
    request.policy =
        OnlyLayers({{Layer::kChroot, Requirement::kBestEffort},
                    {Layer::kNoNewPrivs, Requirement::kRequired},
                    {Layer::kResourceLimits, Requirement::kRequired}});
    request.policy.limits.open_files = 32;
    request.host_namespaces = CurrentNamespaces();
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (!done.ok() || done->size() != 3) return 1;
    if ((*done)[0].layer != Layer::kChroot || (*done)[0].in_force) return 2;
    const SandboxReport report = ProbeSandbox();
    const std::string* nnp = ProbeState(report, "no-new-privs");
    const std::string* chroot = ProbeState(report, "chroot");
    if (nnp == nullptr || !absl::StartsWith(*nnp, "on")) return 3;
    if (chroot == nullptr || !absl::StartsWith(*chroot, "off")) return 4;
    // Every required layer is on: sandboxed as far as this policy goes.
    if (!report.sandboxed) return 5;
    // The new fd limit holds.
    if (::fcntl(0, F_DUPFD, 40) != -1 || errno != EINVAL) return 6;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(LockdownTest, FullLockdownInOwnUserAndMountNamespaces) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  GTEST_SKIP() << "ThreadSanitizer restarts its background thread in a forked "
                  "child, and unshare(CLONE_NEWUSER) needs a single-threaded "
                  "process";
#endif
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("test")
                                             .AllowBaseRuntime()
                                             .Disable(Layer::kPidNamespace)
                                             .SetNetwork(Network::kHost)
                                             .Disable(Layer::kIpcNamespace)
                                             .Disable(Layer::kUtsNamespace)
                                             .BestEffort(Layer::kLandlock)
                                             .BestEffort(Layer::kCgroup)
                                             .SetOpenFilesLimit(64)
                                             .Build();
  ASSERT_TRUE(policy.ok()) << policy.status();
  absl::StatusOr<std::string> program = CompileSeccompProgram(*policy);
  ASSERT_TRUE(program.ok()) << program.status();
  const auto host_namespaces = CurrentNamespaces();
  const int code = InChild([&] {
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return 10;
    auto write = [](const char* path, const std::string& text) {
      const int fd = ::open(path, O_WRONLY);
      const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) ==
                                     static_cast<ssize_t>(text.size());
      if (fd >= 0) ::close(fd);
      return ok;
    };
    if (!write("/proc/self/uid_map", absl::StrCat("0 ", uid, " 1")) ||
        !write("/proc/self/setgroups", "deny") ||
        !write("/proc/self/gid_map", absl::StrCat("0 ", gid, " 1"))) {
      return 11;
    }
    LockdownRequest request;
    request.policy = *policy;
    request.seccomp_program = *program;
    request.host_namespaces = host_namespaces;
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (!done.ok()) return 12;
    const SandboxReport report = ProbeSandbox();
    for (const char* layer : {"user-ns", "mount-ns", "chroot", "drop-caps",
                              "no-new-privs", "not-dumpable", "seccomp"}) {
      const std::string* state = ProbeState(report, layer);
      if (state == nullptr || !absl::StartsWith(*state, "on")) return 20;
    }
    // The filesystem is gone: the root is empty and paths lead nowhere.
    if (::access("/etc/passwd", F_OK) == 0) return 30;
    return report.sandboxed ? 0 : 31;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace bulkhead::sandbox
