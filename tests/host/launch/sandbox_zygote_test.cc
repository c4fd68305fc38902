// Sandboxed helpers forked from a zygote per sandbox shape (Linux): they are
// forked inside one set of namespaces, are children of its init, are locked
// down after the fork, are classified from the kernel's wait status relayed
// by init, and are exec'd as before once their zygote is gone or has lied.
#include "host/launch/sandbox_zygote.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/kernel_file_linux.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/launch/zygote_host.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/fake_zygote.h"
#include "tests/support/proc_probe_linux.h"
#include "tests/support/process_probe.h"

namespace bulkhead {
namespace {

std::string PidNamespace(int64_t pid) {
  std::error_code error;
  return std::filesystem::read_symlink(absl::StrCat("/proc/", pid, "/ns/pid"),
                                       error)
      .string();
}

// Empty, never an exception, when the process ends before or during the scan.
std::vector<int64_t> ChildrenOf(const std::string& task_dir) {
  std::vector<int64_t> children;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator(task_dir, error);
       !error && it != std::filesystem::directory_iterator();
       it.increment(error)) {
    std::istringstream list(ReadKernelFile((it->path() / "children").string()));
    int64_t child = 0;
    while (list >> child) children.push_back(child);
  }
  return children;
}

// The sandboxed zygotes this process runs: children of its children (the
// inits) whose command line says --sandboxed-zygote.
std::vector<int64_t> SandboxedZygotes() {
  std::vector<int64_t> zygotes;
  for (int64_t init : ChildrenOf("/proc/self/task")) {
    for (int64_t child : ChildrenOf(absl::StrCat("/proc/", init, "/task"))) {
      if (absl::StrContains(testing::CommandLineBytes(child),
                            "--sandboxed-zygote")) {
        zygotes.push_back(child);
      }
    }
  }
  return zygotes;
}

class SandboxZygoteTest : public testing::HostFixture {
 protected:
  void SetUp() override {
    if (!SandboxZygotes::Available() || !SandboxedLaunchAvailable()) {
      GTEST_SKIP() << "no sandboxed zygote in this build or kernel";
    }
    HostFixture::SetUp();
  }

  void ModifyOptions(Host::Options& options) override {
    options.sandbox_helpers = true;
    options.fork_sandboxed_helpers = true;
    options.forward_helper_output = false;
  }

  void ExpectAnswers(HelperProcess* helper) {
    roles::LayoutTextRequest request;
    request.set_text("forked");
    request.set_width(40);
    absl::StatusOr<roles::LayoutTextResponse> response =
        CallAndWait<roles::LayoutTextResponse>(helper, request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_THAT(response->lines(), ::testing::ElementsAre("forked"));
  }
};

TEST_F(SandboxZygoteTest, HelpersOfOneShapeAreForkedInOneNamespaceUnderInit) {
  HelperProcess* first = LaunchReady("renderer");
  HelperProcess* second = LaunchReady("renderer");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const std::vector<int64_t> zygotes = SandboxedZygotes();
  ASSERT_EQ(zygotes.size(), 1u) << "one zygote serves the shape";
  const int64_t init = testing::ParentProcessOf(zygotes[0]);
  EXPECT_EQ(testing::ParentProcessOf(init), ::getpid());
  for (HelperProcess* helper : {first, second}) {
    EXPECT_TRUE(helper->sandboxed());
    EXPECT_TRUE(testing::LooksForked(helper->pid()));
    EXPECT_EQ(testing::ParentProcessOf(helper->pid()), init) << "init's child";
    EXPECT_EQ(PidNamespace(helper->pid()), PidNamespace(zygotes[0]));
    EXPECT_NE(PidNamespace(helper->pid()), PidNamespace(::getpid()));
    // Its own session and group, as an exec'd helper.
    EXPECT_EQ(::getsid(static_cast<pid_t>(helper->pid())), helper->pid());
    ExpectAnswers(helper);
  }
  // Each locked down after the fork: its own mount namespace (the view its
  // lockdown built), not the zygote's.
  std::error_code error;
  EXPECT_NE(std::filesystem::read_symlink(
                absl::StrCat("/proc/", first->pid(), "/ns/mnt"), error),
            std::filesystem::read_symlink(
                absl::StrCat("/proc/", second->pid(), "/ns/mnt"), error));
}

TEST_F(SandboxZygoteTest, ACrashIsClassifiedFromTheRelayedWaitStatus) {
  HelperProcess* sibling = LaunchReady("renderer");
  HelperProcess* victim = LaunchReady("renderer");
  ASSERT_NE(sibling, nullptr);
  ASSERT_NE(victim, nullptr);
  ASSERT_TRUE(testing::LooksForked(victim->pid()));
  const uint64_t id = victim->id();
  victim->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGSEGV) << exit->Describe();
  EXPECT_FALSE(exit->stack_trace.empty()) << "no crash record arrived";
  ExpectAnswers(sibling);
}

TEST_F(SandboxZygoteTest, AnExitCodeAndAnAbortAreReportedAsSuch) {
  HelperProcess* exiting = LaunchReady("renderer");
  HelperProcess* aborting = LaunchReady("renderer");
  ASSERT_NE(exiting, nullptr);
  ASSERT_NE(aborting, nullptr);
  ASSERT_TRUE(testing::LooksForked(exiting->pid()));
  ASSERT_TRUE(testing::LooksForked(aborting->pid()));
  const uint64_t exiting_id = exiting->id();
  const uint64_t aborting_id = aborting->id();
  exiting->InjectFault(ipc::FAULT_KIND_EXIT, 7, [](absl::Status) {});
  aborting->InjectFault(ipc::FAULT_KIND_ABORT, 0, [](absl::Status) {});
  ASSERT_NE(WaitForExit(exiting_id), nullptr);
  ASSERT_NE(WaitForExit(aborting_id), nullptr);
  const ExitInfo* exited = WaitForExit(exiting_id);
  const ExitInfo* aborted = WaitForExit(aborting_id);
  EXPECT_EQ(exited->kind, ExitKind::kErrorExit) << exited->Describe();
  EXPECT_EQ(exited->exit_code, 7);
  EXPECT_EQ(aborted->kind, ExitKind::kCrashed) << aborted->Describe();
  EXPECT_EQ(aborted->signal, SIGABRT);
}

TEST_F(SandboxZygoteTest, AKilledHelperIsReportedKilledAndItsSiblingGoesOn) {
  HelperProcess* sibling = LaunchReady("renderer");
  HelperProcess* victim = LaunchReady("renderer");
  ASSERT_NE(sibling, nullptr);
  ASSERT_NE(victim, nullptr);
  const uint64_t id = victim->id();
  victim->Kill(HostAction::kKillRequested, "test");
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  // Its signal is SIGKILL, or none when it saw its channel close first and
  // left (HelperProcess::Kill closes the channel before it signals).
  EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
  ExpectAnswers(sibling);
  // Killed from outside, the relayed status says SIGKILL.
  HelperProcess* shot = LaunchReady("renderer");
  ASSERT_NE(shot, nullptr);
  const uint64_t shot_id = shot->id();
  ASSERT_EQ(::kill(static_cast<pid_t>(shot->pid()), SIGKILL), 0);
  const ExitInfo* shot_exit = WaitForExit(shot_id);
  ASSERT_NE(shot_exit, nullptr);
  EXPECT_EQ(shot_exit->signal, SIGKILL) << shot_exit->Describe();
  ExpectAnswers(sibling);
}

// A helper that dies after its go byte but before the loop has taken it over
// (killed from outside here; a failed lockdown or the OOM killer alike): init
// relays its end before the helper is registered, and the host still reports
// it, once, as what it was. (Before, that record was dropped as an orphan's:
// the helper was never reported and the host's shutdown never finished.)
TEST_F(SandboxZygoteTest, AHelperThatDiesBeforeTheLoopTakesItOverIsReported) {
  ASSERT_NE(LaunchReady("renderer"), nullptr);  // The zygote is up.
  const std::vector<int64_t> zygotes = SandboxedZygotes();
  ASSERT_EQ(zygotes.size(), 1u);
  const int64_t zygote = zygotes[0];
  const std::string init_tasks =
      absl::StrCat("/proc/", testing::ParentProcessOf(zygote), "/task");
  const std::vector<int64_t> before = ChildrenOf(init_tasks);
  auto is_new = [&](int64_t pid) {
    return pid != zygote &&
           std::find(before.begin(), before.end(), pid) == before.end();
  };
  absl::StatusOr<HelperProcess*> launched =
      host_->Launch("renderer", [](absl::StatusOr<HelperProcess*>) {});
  ASSERT_TRUE(launched.ok()) << launched.status();
  const uint64_t id = (*launched)->id();
  // Without running the loop: the launcher thread forks it and lets it go.
  int64_t helper = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (helper == 0 && absl::Now() < deadline) {
    for (int64_t pid : ChildrenOf(init_tasks)) {
      if (is_new(pid)) helper = pid;
    }
    if (helper == 0) absl::SleepFor(absl::Milliseconds(1));  // Polling.
  }
  ASSERT_NE(helper, 0) << "no new child of the zygote's init";
  // After its go byte: the child closes its go pipe (fd 10) once it has read
  // it, which the host sends once it has checked the zygote's answer.
  const std::string go_fd = absl::StrCat("/proc/", helper, "/fd/10");
  bool went = false;
  while (!went && absl::Now() < deadline) {
    std::error_code error;
    went = !std::filesystem::exists(go_fd, error);
    if (!went) absl::SleepFor(absl::Milliseconds(1));  // Polling.
  }
  ASSERT_TRUE(went) << "no go byte";
  ASSERT_EQ(::kill(static_cast<pid_t>(helper), SIGKILL), 0);
  // Init reaps it (after writing its record), still without the loop.
  bool reaped = false;
  while (!reaped && absl::Now() < deadline) {
    const std::vector<int64_t> now = ChildrenOf(init_tasks);
    reaped = std::find(now.begin(), now.end(), helper) == now.end();
    if (!reaped) absl::SleepFor(absl::Milliseconds(1));  // Polling.
  }
  ASSERT_TRUE(reaped) << "init did not reap " << helper;
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr) << "never reported";
  EXPECT_EQ(exit->signal, SIGKILL) << exit->Describe();
  bool shut_down = false;
  host_->Shutdown(absl::Seconds(5), [&] { shut_down = true; });
  EXPECT_TRUE(RunUntil([&] { return shut_down; }));
}

TEST_F(SandboxZygoteTest, AZygoteThatDiesIsGivenUpAndItsHelpersGoOn) {
  HelperProcess* forked = LaunchReady("renderer");
  ASSERT_NE(forked, nullptr);
  const std::vector<int64_t> zygotes = SandboxedZygotes();
  ASSERT_EQ(zygotes.size(), 1u);
  ASSERT_EQ(::kill(static_cast<pid_t>(zygotes[0]), SIGKILL), 0);
  // The host hears of it from init (no launch needed)...
  EXPECT_TRUE(RunUntil([&] { return SandboxedZygotes().empty(); }));
  // ...its helper still runs, and the next helper of its shape is exec'd.
  ExpectAnswers(forked);
  HelperProcess* execd = LaunchReady("renderer");
  ASSERT_NE(execd, nullptr);
  EXPECT_FALSE(testing::LooksForked(execd->pid()));
  ExpectAnswers(execd);
  EXPECT_TRUE(SandboxedZygotes().empty()) << "not started again";
}

TEST_F(SandboxZygoteTest, NothingOfTheZygoteOutlivesItsHost) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  const int64_t helper_pid = helper->pid();
  const std::vector<int64_t> zygotes = SandboxedZygotes();
  ASSERT_EQ(zygotes.size(), 1u);
  const int64_t init = testing::ParentProcessOf(zygotes[0]);
  host_.reset();
  errno = 0;
  EXPECT_EQ(::waitpid(static_cast<pid_t>(init), nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  for (int64_t pid : {init, zygotes[0], helper_pid}) {
    EXPECT_FALSE(testing::ProcessExists(pid)) << pid;
  }
}

// A zygote that answers wrongly (tests/support/fake_zygote.h) is given up at
// its first answer: killed, and that helper and the next are exec'd.
class LyingSandboxZygoteTest
    : public SandboxZygoteTest,
      public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    ::setenv(testing::kFakeZygoteVariable, GetParam(), 1);
    ZygoteHost::SetExtraEnvironmentForTesting({testing::kFakeZygoteVariable});
    SandboxZygoteTest::SetUp();
  }
  void TearDown() override {
    ::unsetenv(testing::kFakeZygoteVariable);
    ZygoteHost::SetExtraEnvironmentForTesting({});
  }
};

TEST_P(LyingSandboxZygoteTest, IsGivenUpAndHelpersAreExecd) {
  HelperProcess* first = LaunchReady("renderer");
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(testing::LooksForked(first->pid()));
  ExpectAnswers(first);
  // The zygote was killed, and a child it forked, never told to go, exits.
  EXPECT_TRUE(RunUntil([] { return SandboxedZygotes().empty(); }));
  HelperProcess* second = LaunchReady("renderer");
  ASSERT_NE(second, nullptr);
  EXPECT_FALSE(testing::LooksForked(second->pid()));
  ExpectAnswers(second);
}

INSTANTIATE_TEST_SUITE_P(
    Answers, LyingSandboxZygoteTest,
    ::testing::Values("own-pid", "host-pid", "wrong-pid", "garbage", "with-fd",
                      "no-fd", "dead-pid", "silent"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      std::string name = info.param;
      name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
      return name;
    });

}  // namespace
}  // namespace bulkhead
