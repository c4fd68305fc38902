// The Linux sandbox with real helpers: namespaces at launch, lockdown before
// Ready, the probe's report, violations, failing layers, and a helper's
// children dying with it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "browser_host/demo_work.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_policy.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"
#include "tests/support/sanitizer_env.h"

namespace bulkhead {
namespace {

using sandbox::Layer;
using sandbox::Requirement;

class SandboxedLauncherTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.sandbox_helpers = true;
    options.forward_helper_output = false;
    if (policy_for_role_) options.sandbox_policy_for_role = policy_for_role_;
  }

  absl::StatusOr<roles::LayoutTextResponse> Ask(HelperProcess* helper,
                                                const std::string& text) {
    roles::LayoutTextRequest request;
    request.set_text(text);
    request.set_width(80);
    return CallAndWait<roles::LayoutTextResponse>(helper, request);
  }

  // Launches a helper of `role`, which must fail to get Ready and end as
  // kLaunchFailed with `reason` in its status.
  void ExpectLaunchFailsSaying(const std::string& role,
                               const std::string& reason) {
    std::optional<absl::Status> ready;
    absl::StatusOr<HelperProcess*> launched =
        host_->Launch(role, [&](absl::StatusOr<HelperProcess*> helper) {
          ready = helper.status();
        });
    ASSERT_TRUE(launched.ok()) << launched.status();
    ASSERT_TRUE(RunUntil([&] { return ready.has_value() && !exits_.empty(); }));
    EXPECT_FALSE(ready->ok());
    ASSERT_EQ(exits_.size(), 1u);
    EXPECT_EQ(exits_[0].kind, ExitKind::kLaunchFailed) << exits_[0].Describe();
    EXPECT_TRUE(absl::StrContains(exits_[0].launch_status.message(), reason))
        << exits_[0].launch_status;
  }

  std::function<sandbox::SandboxPolicy(absl::string_view)> policy_for_role_;
};

// The inode of /proc/<pid>/ns/<name>, 0 when unreadable.
uint64_t NamespaceInode(int64_t pid, const char* name) {
  struct stat st;
  const std::string path =
      "/proc/" + std::to_string(pid) + "/ns/" + std::string(name);
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_F(SandboxedLauncherTest, EveryPresetRoleRunsWithEveryRequiredLayerOn) {
  for (const std::string& role : sandbox::PresetNames()) {
    SCOPED_TRACE(role);
    HelperProcess* helper = LaunchReady(role);
    ASSERT_NE(helper, nullptr);
    ASSERT_TRUE(helper->sandboxed());
    const auto& layers = helper->sandbox_status().layers();
    const sandbox::SandboxPolicy& policy = helper->sandbox_policy();
    for (int i = 0; i < sandbox::kLayerCount; ++i) {
      const Layer layer = static_cast<Layer>(i);
      const auto found = layers.find(sandbox::LayerName(layer));
      ASSERT_NE(found, layers.end()) << sandbox::LayerName(layer);
      if (policy.requirement(layer) == Requirement::kRequired) {
        EXPECT_TRUE(absl::StartsWith(found->second, "on"))
            << sandbox::LayerName(layer) << ": " << found->second;
      }
    }
    EXPECT_TRUE(helper->sandbox_status().sandboxed());
  }
}

TEST_F(SandboxedLauncherTest, HelperLivesInNamespacesOfItsOwn) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  const int64_t self = ::getpid();
  for (const char* name : {"user", "pid", "net", "mnt", "ipc", "uts"}) {
    const uint64_t theirs = NamespaceInode(helper->pid(), name);
    ASSERT_NE(theirs, 0u) << name;
    EXPECT_NE(theirs, NamespaceInode(self, name)) << name;
  }
  // The network preset keeps the host's network.
  HelperProcess* network = LaunchReady("network");
  ASSERT_NE(network, nullptr);
  EXPECT_EQ(NamespaceInode(network->pid(), "net"), NamespaceInode(self, "net"));
}

TEST_F(SandboxedLauncherTest, RealWorkStillSucceedsAfterLockdown) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<roles::LayoutTextResponse> laid_out =
      Ask(helper, "locked down and still working");
  ASSERT_TRUE(laid_out.ok()) << laid_out.status();
  EXPECT_EQ(laid_out->lines_size(), 1);
  absl::StatusOr<absl::Duration> rtt = absl::ZeroDuration();
  bool pinged = false;
  helper->Ping(absl::Now() + absl::Seconds(10),
               [&](absl::StatusOr<absl::Duration> result) {
                 rtt = result;
                 pinged = true;
               });
  ASSERT_TRUE(RunUntil([&] { return pinged; }));
  EXPECT_TRUE(rtt.ok()) << rtt.status();
}

class ViolationTest : public SandboxedLauncherTest,
                      public ::testing::WithParamInterface<const char*> {};

TEST_P(ViolationTest, ForbiddenCallEndsTheHelperAsAViolationNamingIt) {
  if (*testing::SeccompTrapUnobservableReason() != '\0') {
    GTEST_SKIP() << testing::SeccompTrapUnobservableReason();
  }
  HelperProcess* sibling = LaunchReady("renderer");
  HelperProcess* helper = LaunchReady("violator");
  ASSERT_NE(helper, nullptr);
  ASSERT_NE(sibling, nullptr);
  const uint64_t id = helper->id();
  helper->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&] {
        roles::LayoutTextRequest request;
        request.set_text(GetParam());
        return request;
      }(),
      absl::Now() + absl::Seconds(10),
      [](absl::StatusOr<roles::LayoutTextResponse>) {});
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kSandboxViolation) << exit->Describe();
  EXPECT_EQ(exit->syscall, GetParam()) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGSYS);
  EXPECT_FALSE(exit->stack_trace.empty());
  // The sibling never noticed.
  absl::StatusOr<roles::LayoutTextResponse> answer = Ask(sibling, "fine");
  EXPECT_TRUE(answer.ok()) << answer.status();
}

INSTANTIATE_TEST_SUITE_P(Calls, ViolationTest,
                         ::testing::Values("socket", "ptrace", "mount"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

class RequiredLayerTest : public SandboxedLauncherTest {
 protected:
  void SetUp() override {
    // A chroot is required, but there is no private mount namespace to make
    // the empty root in: the helper must refuse to run.
    policy_for_role_ = [](absl::string_view role) {
      sandbox::SandboxPolicy policy = sandbox::PresetForRole(role);
      policy.layers[static_cast<int>(Layer::kMountNamespace)] =
          Requirement::kOff;
      return policy;
    };
    SandboxedLauncherTest::SetUp();
  }
};

TEST_F(RequiredLayerTest, FailingRequiredLayerFailsTheLaunchNamingIt) {
  ExpectLaunchFailsSaying("renderer", "chroot");
}

TEST_F(SandboxedLauncherTest, LockdownKeepsOnlyTheFdsTheRoleKeptOnPurpose) {
  HelperProcess* helper = LaunchReady("fd-keeper");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<roles::LayoutTextResponse> answer = Ask(helper, "fds?");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->lines_size(), 2);
  EXPECT_EQ(answer->lines(0), "kept open");
  EXPECT_EQ(answer->lines(1), "other closed");
}

TEST_F(SandboxedLauncherTest, ThreadStartedBeforeLockdownFailsTheLaunch) {
  ExpectLaunchFailsSaying("threaded", "needs a single-threaded process");
}

class ForkingPolicyTest : public SandboxedLauncherTest {
 protected:
  void SetUp() override {
    // A policy that lets the helper fork, to see its children die with it.
    policy_for_role_ = [](absl::string_view role) {
      sandbox::SandboxPolicyBuilder builder{std::string(role)};
      builder.AllowBaseRuntime()
          .BestEffort(Layer::kLandlock)
          .BestEffort(Layer::kCgroup)
          .AllowSyscallIfArg("clone", 0, 0, 0)
          .AllowSyscalls({"wait4"});
      absl::StatusOr<sandbox::SandboxPolicy> policy = builder.Build();
      EXPECT_TRUE(policy.ok()) << policy.status();
      return *policy;
    };
    SandboxedLauncherTest::SetUp();
  }
};

TEST_F(ForkingPolicyTest, HelpersChildrenDieWithIt) {
  HelperProcess* helper = LaunchReady("forker");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<roles::LayoutTextResponse> forked = Ask(helper, "");
  ASSERT_TRUE(forked.ok()) << forked.status();
  // Its child, as the host sees it: the helper's only child.
  std::ifstream children("/proc/" + std::to_string(helper->pid()) + "/task/" +
                         std::to_string(helper->pid()) + "/children");
  int64_t grandchild = 0;
  ASSERT_TRUE(children >> grandchild);
  ASSERT_TRUE(testing::ProcessExists(grandchild));
  const uint64_t id = helper->id();
  helper->Kill(HostAction::kKillRequested, "test");
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
  // The namespace goes with the helper (the exit is reported as soon as the
  // helper is reaped; the kernel then empties its namespace).
  EXPECT_TRUE(testing::WaitForProcessGone(grandchild, absl::Seconds(5)));
}

class CgroupTest : public SandboxedLauncherTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    // The cgroup's memory limit is far below the address-space limit: the
    // kernel's OOM killer, not a failed allocation, ends the helper.
    options.memory_limit_bytes = 1ull << 30;
    policy_for_role_ = [](absl::string_view role) {
      sandbox::SandboxPolicy policy = sandbox::PresetForRole(role);
      policy.limits.cgroup_memory_bytes = 96ull << 20;
      return policy;
    };
    options.heartbeat.timeout = absl::Seconds(30);
    SandboxedLauncherTest::ModifyOptions(options);
  }
};

TEST_F(CgroupTest, OomKillAtTheCgroupLimitIsOutOfMemory) {
  if (testing::SanitizerReservesAddressSpace()) {
    GTEST_SKIP() << "the helper's own address-space limit cannot be set in a "
                    "sanitizer build, and the fault needs it";
  }
  HelperProcess* helper = LaunchReady("utility");
  ASSERT_NE(helper, nullptr);
  const auto& layers = helper->sandbox_status().layers();
  ASSERT_TRUE(layers.contains("cgroup"));
  if (!absl::StartsWith(layers.at("cgroup"), "on")) {
    GTEST_SKIP() << "no writable cgroup here: " << layers.at("cgroup");
  }
  EXPECT_TRUE(absl::StrContains(layers.at("cgroup"), "100663296"))
      << layers.at("cgroup");
  const uint64_t id = helper->id();
  helper->InjectFault(ipc::FAULT_KIND_OOM, 0, [](absl::Status) {});
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kOutOfMemory) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGKILL) << exit->Describe();
}

class CpuLimitTest : public SandboxedLauncherTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    policy_for_role_ = [](absl::string_view role) {
      sandbox::SandboxPolicy policy = sandbox::PresetForRole(role);
      policy.limits.cpu_seconds = 1;
      return policy;
    };
    // A spinning helper is hung too: give the CPU limit the first word.
    options.heartbeat.timeout = absl::Seconds(60);
    SandboxedLauncherTest::ModifyOptions(options);
  }
};

TEST_F(CpuLimitTest, SpinningPastTheCpuLimitIsCpuLimit) {
  HelperProcess* helper = LaunchReady("utility");
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();
  helper->InjectFault(ipc::FAULT_KIND_HANG, 0, [](absl::Status) {});
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCpuLimit) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGXCPU) << exit->Describe();
}

class NoSandboxTest : public SandboxedLauncherTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    SandboxedLauncherTest::ModifyOptions(options);
    options.sandbox_helpers = false;
  }
};

TEST_F(NoSandboxTest, UnsandboxedHelperReportsEveryLayerOff) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  EXPECT_FALSE(helper->sandboxed());
  EXPECT_FALSE(helper->sandbox_status().sandboxed());
  const auto& layers = helper->sandbox_status().layers();
  ASSERT_TRUE(layers.contains("seccomp"));
  EXPECT_TRUE(absl::StartsWith(layers.at("seccomp"), "off"))
      << layers.at("seccomp");
  EXPECT_EQ(NamespaceInode(helper->pid(), "pid"),
            NamespaceInode(::getpid(), "pid"));
}

// A listening socket for the escape suite to aim at: TCP on 127.0.0.1 or
// AF_UNIX at a path. Closed on destruction.
class Listener {
 public:
  static Listener Tcp() {
    Listener listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (::bind(listener.fd_, reinterpret_cast<sockaddr*>(&address), size) ==
            0 &&
        ::listen(listener.fd_, 8) == 0 &&
        ::getsockname(listener.fd_, reinterpret_cast<sockaddr*>(&address),
                      &size) == 0) {
      listener.port_ = ntohs(address.sin_port);
    }
    return listener;
  }
  static Listener Unix(const std::string& path) {
    Listener listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s",
                  path.c_str());
    if (::bind(listener.fd_, reinterpret_cast<sockaddr*>(&address),
               sizeof(address)) == 0 &&
        ::listen(listener.fd_, 8) == 0) {
      listener.path_ = path;
    }
    return listener;
  }
  Listener(Listener&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)),
        port_(other.port_),
        path_(std::move(other.path_)) {
    other.path_.clear();
  }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int port() const { return port_; }
  const std::string& path() const { return path_; }

 private:
  explicit Listener(int fd) : fd_(fd) {}
  int fd_;
  int port_ = 0;
  std::string path_;
};

class EscapeTest : public SandboxedLauncherTest,
                   public ::testing::WithParamInterface<const char*> {
 protected:
  void ModifyOptions(Host::Options& options) override {
    SandboxedLauncherTest::ModifyOptions(options);
    // Descriptors and a thread from before the lockdown to try through.
    options.helper_args.push_back("--escape-bait");
    // A directory the file broker may read from, with a symbolic link out of
    // it and a FIFO planted in it, for the broker's attempts.
    // TempDir() ends with a separator.
    broker_dir_ = absl::StrCat(::testing::TempDir(), "bulkhead-escape-broker-",
                               ::getpid());
    outside_file_ = broker_dir_ + "-secret.txt";
    ::mkdir(broker_dir_.c_str(), 0755);
    std::ofstream(outside_file_) << "secret";
    std::ofstream(broker_dir_ + "/inside.txt") << "inside";
    ::symlink(outside_file_.c_str(),
              (broker_dir_ + "/bulkhead-link-out").c_str());
    ::mkfifo((broker_dir_ + "/bulkhead-fifo").c_str(), 0644);
    options.sandbox_policy_for_role = [dir = broker_dir_](
                                          absl::string_view role) {
      sandbox::SandboxPolicy policy = sandbox::PresetForRole(role);
      policy.broker_rules.push_back({dir, /*prefix=*/true, /*write=*/false});
      return policy;
    };
  }
  void TearDown() override {
    for (const char* name : {"/inside.txt", "/bulkhead-link-out",
                             "/bulkhead-fifo", "/bulkhead-escape-created"}) {
      ::unlink((broker_dir_ + name).c_str());
    }
    ::rmdir(broker_dir_.c_str());
    ::unlink(outside_file_.c_str());
  }

  std::string broker_dir_;
  std::string outside_file_;
};

// A service of the host's on an abstract unix socket (an X server, D-Bus).
class AbstractListener {
 public:
  AbstractListener()
      : name_(absl::StrCat("bulkhead-escape-test-", ::getpid())),
        fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name_.data(), name_.size());
    const socklen_t size = static_cast<socklen_t>(
        offsetof(sockaddr_un, sun_path) + 1 + name_.size());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(fd_, 8) != 0) {
      name_.clear();
    }
  }
  ~AbstractListener() { ::close(fd_); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int fd_;
};

// From inside each sandboxed role, at least 25 forbidden things: each must
// fail, and the helper must still do its work afterwards.
TEST_P(EscapeTest, EveryAttemptFailsAndTheWorkStillSucceeds) {
  // The suite's in-process fallbacks take seccomp traps (fork, ...).
  if (*testing::TrappedForkUnobservableReason() != '\0' &&
      *testing::SeccompTrapUnobservableReason() == '\0') {
    // Under ThreadSanitizer only: with ASan the suite's own SIGSYS handler
    // copes.
    GTEST_SKIP() << testing::TrappedForkUnobservableReason();
  }
  const std::string role = GetParam();
  // In the host's environment before the helpers launch: none may find it.
  const std::string canary =
      absl::StrCat("escape-canary-", ::getpid(), "-not-for-helpers");
  ASSERT_EQ(::setenv("BULKHEAD_ESCAPE_CANARY", canary.c_str(), 1), 0);
  HelperProcess* sibling = LaunchReady("renderer");
  HelperProcess* helper = LaunchReady(role);
  ::unsetenv("BULKHEAD_ESCAPE_CANARY");
  ASSERT_NE(sibling, nullptr);
  ASSERT_NE(helper, nullptr);
  Listener tcp = Listener::Tcp();
  ASSERT_NE(tcp.port(), 0);
  Listener unix_socket = Listener::Unix(absl::StrCat(
      ::testing::TempDir(), "/bulkhead-escape-", ::getpid(), ".sock"));
  ASSERT_FALSE(unix_socket.path().empty());
  AbstractListener abstract_socket;
  ASSERT_FALSE(abstract_socket.name().empty());

  ipc::Control request;
  ipc::Fault* fault = request.mutable_fault();
  fault->set_kind(ipc::FAULT_KIND_ESCAPE);
  ipc::EscapeTargets* targets = fault->mutable_escape_targets();
  targets->set_host_pid(::getpid());
  targets->set_sibling_pid(sibling->pid());
  targets->set_tcp_port(tcp.port());
  targets->set_unix_socket_path(unix_socket.path());
  targets->set_abstract_socket_name(abstract_socket.name());
  const char* home = std::getenv("HOME");
  targets->set_home_dir(home != nullptr ? home : "/root");
  targets->set_sibling_channel_path(
      absl::StrCat("/proc/", sibling->pid(), "/fd/3"));
  targets->set_broker_dir(broker_dir_);
  targets->set_environment_canary(canary);
  std::optional<absl::StatusOr<ipc::Control>> reply;
  helper->CallControl(
      request, absl::Now() + absl::Seconds(60),
      [&](absl::StatusOr<ipc::Control> result) { reply = std::move(result); });
  ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }, absl::Seconds(90)));
  if (!reply->ok()) {
    // How the helper ended says which attempt got through.
    RunUntil([&] { return !exits_.empty(); }, absl::Seconds(5));
    for (const ExitInfo& exit : exits_) {
      ADD_FAILURE() << exit.Describe() << "\n"
                    << absl::StrJoin(exit.stack_trace, "\n");
    }
  }
  ASSERT_TRUE(reply->ok()) << reply->status();
  const auto& results = (*reply)->fault().escape_results();
  EXPECT_GE(results.size(), 25);
  std::map<std::string, std::string> outcomes;
  for (const ipc::EscapeAttempt& attempt : results) {
    outcomes[attempt.name()] = attempt.outcome();
  }
  // Left from before the lockdown: every descriptor closed by it, the thread
  // refused by it.
  for (const char* kind : {"inet-socket", "unix-socket", "pipe", "eventfd",
                           "memfd", "dev-null", "file", "directory"}) {
    const std::string name = absl::StrCat("prelockdown-fd-", kind);
    ASSERT_TRUE(outcomes.contains(name)) << name;
    EXPECT_TRUE(absl::StrContains(outcomes[name], "closed by the lockdown"))
        << name << ": " << outcomes[name];
  }
  for (const char* name :
       {"prelockdown-thread-capabilities", "prelockdown-thread-open-file"}) {
    EXPECT_TRUE(absl::StartsWith(outcomes[name], "REFUSED: the lockdown"))
        << name << ": " << outcomes[name];
  }
  // The file broker, asked for what its rules must refuse: each refused for
  // the reason the attempt is about, not merely for a missing file.
  for (const auto& [name, reason] : std::map<std::string, std::string>{
           {"broker-symlink-out", "symbolic link"},
           {"broker-fifo", "not a regular file"},
           {"broker-create-under-read", "for reading only"},
           {"broker-o-path", "more than a file"},
           {"broker-directory", "more than a file"},
           {"broker-dotdot", "'..'"},
           {"broker-absolute-outside", "no rule allows"},
           {"broker-proc-self-fd", "no rule allows"},
           {"broker-flood", "turned away"}}) {
    ASSERT_TRUE(outcomes.contains(name)) << name;
    EXPECT_TRUE(absl::StrContains(outcomes[name], reason))
        << name << ": " << outcomes[name];
  }
  EXPECT_NE(::access((broker_dir_ + "/bulkhead-escape-created").c_str(), F_OK),
            0);
  ASSERT_TRUE(outcomes.contains("read-environment-canary"));
  EXPECT_TRUE(absl::StartsWith(outcomes["read-environment-canary"], "absent"))
      << outcomes["read-environment-canary"];
  // The network role shares the host's network, and with it the host's
  // abstract sockets: it may not make an AF_UNIX socket at all.
  if (role == "network" && *testing::SeccompTrapUnobservableReason() == '\0') {
    EXPECT_EQ(outcomes["connect-abstract-socket"],
              "SIGSYS: seccomp trapped socket");
  }
  // The network role may use sockets by design: reaching the host's port is
  // its job. Everything else is refused to every role.
  const std::set<std::string> allowed_for_network = {
      "socket-inet", "socket-inet6", "connect-tcp-localhost"};
  int blocked = 0;
  for (const ipc::EscapeAttempt& attempt : results) {
    if (role == "network" && allowed_for_network.contains(attempt.name())) {
      continue;
    }
    if (attempt.name() == "raise-rlimit-as" &&
        testing::SanitizerReservesAddressSpace()) {
      continue;  // No address-space limit where the sanitizer needs terabytes.
    }
    EXPECT_TRUE(attempt.blocked())
        << role << ": " << attempt.name() << " -> " << attempt.outcome();
    if (role == "renderer") {
      std::printf("  %-26s %s\n", attempt.name().c_str(),
                  attempt.outcome().c_str());
    }
    blocked += attempt.blocked() ? 1 : 0;
  }
  std::printf("%s: %d of %d escape attempts blocked\n", role.c_str(), blocked,
              results.size());
  // Still alive, still working, and so is its sibling.
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
  for (HelperProcess* worker : {helper, sibling}) {
    std::optional<absl::StatusOr<std::string>> work;
    SendSampleWork(
        *worker, absl::Now() + absl::Seconds(10),
        [&](absl::StatusOr<std::string> result) { work = std::move(result); });
    ASSERT_TRUE(RunUntil([&] { return work.has_value(); }));
    EXPECT_TRUE(work->ok()) << worker->name() << ": " << work->status();
  }
}

INSTANTIATE_TEST_SUITE_P(Roles, EscapeTest,
                         ::testing::Values("renderer", "gpu", "utility",
                                           "network"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

// The network namespace alone keeps a Network::kNone helper off the host's
// network: with the seccomp layer off (socket() allowed), its connect to a
// listener on the host's 127.0.0.1 still fails; the same policy with kHost
// reaches it (the attempt can succeed). The probe reports each as it is.
TEST_F(SandboxedLauncherTest,
       NetworkNoneIsANamespaceOfItsOwnEvenWithoutSeccomp) {
  Listener tcp = Listener::Tcp();
  ASSERT_NE(tcp.port(), 0);
  for (const sandbox::Network network :
       {sandbox::Network::kNone, sandbox::Network::kHost}) {
    SCOPED_TRACE(sandbox::NetworkName(network));
    sandbox::SandboxPolicy policy =
        sandbox::WithNetwork(sandbox::PresetForRole("renderer"), network);
    policy.layers[static_cast<int>(Layer::kSeccomp)] = Requirement::kOff;
    Host::LaunchOverrides overrides;
    overrides.sandbox_policy = policy;
    HelperProcess* helper = LaunchReady("renderer", std::move(overrides));
    ASSERT_NE(helper, nullptr);
    EXPECT_TRUE(absl::StartsWith(helper->sandbox_status().network(),
                                 sandbox::NetworkName(network)))
        << helper->sandbox_status().network();

    ipc::Control request;
    ipc::Fault* fault = request.mutable_fault();
    fault->set_kind(ipc::FAULT_KIND_ESCAPE);
    fault->mutable_escape_targets()->set_tcp_port(tcp.port());
    std::optional<absl::StatusOr<ipc::Control>> reply;
    helper->CallControl(request, absl::Now() + absl::Seconds(60),
                        [&](absl::StatusOr<ipc::Control> result) {
                          reply = std::move(result);
                        });
    ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }, absl::Seconds(90)));
    ASSERT_TRUE(reply->ok()) << reply->status();
    std::optional<ipc::EscapeAttempt> connect;
    for (const ipc::EscapeAttempt& attempt :
         (*reply)->fault().escape_results()) {
      if (attempt.name() == "connect-tcp-localhost") connect = attempt;
    }
    ASSERT_TRUE(connect.has_value());
    if (network == sandbox::Network::kNone) {
      EXPECT_TRUE(connect->blocked()) << connect->outcome();
      // Refused by the namespace, not by a filter: there is none.
      EXPECT_FALSE(absl::StrContains(connect->outcome(), "SIGSYS"))
          << connect->outcome();
    } else {
      EXPECT_TRUE(absl::StartsWith(connect->outcome(), "SUCCEEDED"))
          << connect->outcome();
    }
    helper->Kill(HostAction::kKillRequested, "test done");
  }
}

}  // namespace
}  // namespace bulkhead
