// The zygote (Linux) with real helpers: they are forked by it, are the host's
// own children, are classified from the kernel's word when they die, and are
// exec'd as before once the zygote is gone.
#include "host/launch/zygote_host.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proc_stat_linux.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/fake_zygote.h"
#include "tests/support/proc_probe_linux.h"
#include "tests/support/process_probe.h"
#include "tests/support/run_process.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

// This process's children whose command line says --type=zygote.
std::vector<int64_t> Zygotes() {
  std::vector<int64_t> zygotes;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    int64_t child = 0;
    while (children >> child) {
      if (testing::CommandLineBytes(child).find(
              std::string("--type=zygote\0", 14)) != std::string::npos) {
        zygotes.push_back(child);
      }
    }
  }
  return zygotes;
}

// Children of this process that have ended but were not reaped.
std::vector<int64_t> ZombieChildren() {
  std::vector<int64_t> zombies;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    int64_t child = 0;
    while (children >> child) {
      const std::vector<std::string> fields =
          ProcStatFields(absl::StrCat("/proc/", child, "/stat"));
      if (!fields.empty() && fields[0] == "Z") zombies.push_back(child);
    }
  }
  return zombies;
}

class ZygoteHostTest : public testing::HostFixture {
 protected:
  void SetUp() override {
    if (!ZygoteHost::Available()) {
      GTEST_SKIP() << "no zygote in this build (ThreadSanitizer) or kernel";
    }
    HostFixture::SetUp();
  }

  void ModifyOptions(Host::Options& options) override {
    options.sandbox_helpers = false;
    options.forward_helper_output = false;
  }

  // What the env-reader `helper` answers for `name` (tests/support/
  // test_roles.h).
  std::string ReadEnv(HelperProcess* helper, const std::string& name) {
    roles::LayoutTextRequest request;
    request.set_text(name);
    absl::StatusOr<roles::LayoutTextResponse> response =
        CallAndWait<roles::LayoutTextResponse>(helper, request);
    if (!response.ok() || response->lines_size() != 1) return "<no answer>";
    return response->lines(0);
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

TEST_F(ZygoteHostTest, HelpersAreForkedAsTheHostsOwnChildren) {
  HelperProcess* first = LaunchReady("renderer");
  HelperProcess* second = LaunchReady("renderer");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const std::vector<int64_t> zygotes = Zygotes();
  ASSERT_EQ(zygotes.size(), 1u) << "one zygote serves every helper";
  for (HelperProcess* helper : {first, second}) {
    EXPECT_TRUE(testing::LooksForked(helper->pid()));
    EXPECT_EQ(testing::ParentProcessOf(helper->pid()), ::getpid());
    EXPECT_NE(helper->pid(), zygotes[0]);
    // Its own session and group, as an exec'd helper (the host signals and
    // sweeps the group).
    EXPECT_EQ(::getsid(static_cast<pid_t>(helper->pid())), helper->pid());
    // Forked, not exec'd: the zygote's image, with the helper's own command
    // line written over the zygote's.
    const std::string bytes = testing::CommandLineBytes(helper->pid());
    EXPECT_THAT(bytes, HasSubstr(std::string("--type=renderer\0", 16)));
    EXPECT_THAT(bytes, HasSubstr(absl::StrCat("--helper-id=", helper->id())));
    EXPECT_THAT(bytes, ::testing::Not(HasSubstr("zygote")));
    ExpectAnswers(helper);
  }
}

TEST_F(ZygoteHostTest, ACrashIsClassifiedFromTheWaitStatusWithItsStack) {
  HelperProcess* sibling = LaunchReady("renderer");
  HelperProcess* victim = LaunchReady("utility");
  ASSERT_NE(sibling, nullptr);
  ASSERT_NE(victim, nullptr);
  ASSERT_TRUE(testing::LooksForked(victim->pid()));
  const uint64_t id = victim->id();
  victim->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGSEGV) << exit->Describe();
  // The crash handler installed after the fork sent the stack; it is named
  // from the zygote's image, which is the executable's.
  ASSERT_FALSE(exit->stack_trace.empty()) << "no crash record arrived";
  const std::string stack = absl::StrJoin(exit->stack_trace, "\n");
  EXPECT_TRUE(absl::StrContains(stack, "bulkhead::") ||
              absl::StrContains(stack, "(executable+0x"))
      << stack;
  ExpectAnswers(sibling);
}

TEST_F(ZygoteHostTest, NeitherTheZygoteNorItsHelpersCarryTheHostsEnvironment) {
  // Set before the zygote starts: it must not start with it either, since
  // a forked helper inherits the zygote's memory, the strings of the
  // environment it was exec'd with among it.
  constexpr char kSecret[] = "canary-1f6a93c2-host-only";
  ::setenv("BULKHEAD_ZYGOTE_TEST_SECRET", kSecret, 1);
  HelperProcess* helper = LaunchReady("env-reader");
  ::unsetenv("BULKHEAD_ZYGOTE_TEST_SECRET");
  ASSERT_NE(helper, nullptr);
  ASSERT_TRUE(testing::LooksForked(helper->pid()));
  EXPECT_EQ(ReadEnv(helper, "BULKHEAD_ZYGOTE_TEST_SECRET"), "<unset>");
  // The zygote was exec'd with LD_BIND_NOW=1; the helper's environ is its
  // own.
  EXPECT_EQ(ReadEnv(helper, "LD_BIND_NOW"), "<unset>");
  EXPECT_EQ(ReadEnv(helper, "PATH"), "<unset>");
  const std::vector<int64_t> zygotes = Zygotes();
  ASSERT_EQ(zygotes.size(), 1u);
  for (const int64_t pid : {helper->pid(), zygotes[0]}) {
    std::ifstream file(absl::StrCat("/proc/", pid, "/environ"));
    ASSERT_TRUE(file.is_open()) << pid;
    const std::string environ((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
    EXPECT_FALSE(absl::StrContains(environ, kSecret)) << pid;
    EXPECT_FALSE(absl::StrContains(environ, "PATH=/")) << pid;
  }
}

TEST_F(ZygoteHostTest,
       AHelperSeesTheEnvironmentNamedAtItsLaunchAndItsDirectory) {
  // The zygote starts with the first helper and keeps what it saw then.
  ASSERT_NE(LaunchReady("env-reader"), nullptr);
  ::setenv("BULKHEAD_ZYGOTE_TEST_LATE", "set after the zygote", 1);
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path("/tmp");
  Host::LaunchOverrides overrides;
  overrides.environment = {"BULKHEAD_ZYGOTE_TEST_LATE",
                           "BULKHEAD_ZYGOTE_TEST_SET=by the launch"};
  HelperProcess* later = LaunchReady("env-reader", std::move(overrides));
  std::filesystem::current_path(before);
  ::unsetenv("BULKHEAD_ZYGOTE_TEST_LATE");
  ASSERT_NE(later, nullptr);
  ASSERT_TRUE(testing::LooksForked(later->pid()));
  EXPECT_EQ(ReadEnv(later, "BULKHEAD_ZYGOTE_TEST_LATE"),
            "set after the zygote");
  EXPECT_EQ(ReadEnv(later, "BULKHEAD_ZYGOTE_TEST_SET"), "by the launch");
  EXPECT_EQ(ReadEnv(later, "@cwd"), "/tmp");
}

TEST_F(ZygoteHostTest, AnExitCodeAndAnAbortAreReportedAsSuch) {
  HelperProcess* exiting = LaunchReady("utility");
  HelperProcess* aborting = LaunchReady("utility");
  ASSERT_NE(exiting, nullptr);
  ASSERT_NE(aborting, nullptr);
  ASSERT_TRUE(testing::LooksForked(exiting->pid()));
  ASSERT_TRUE(testing::LooksForked(aborting->pid()));
  const uint64_t exiting_id = exiting->id();
  const uint64_t aborting_id = aborting->id();
  exiting->InjectFault(ipc::FAULT_KIND_EXIT, 7, [](absl::Status) {});
  aborting->InjectFault(ipc::FAULT_KIND_ABORT, 0, [](absl::Status) {});
  // Both first: a later report may move the earlier one in `exits_`.
  ASSERT_NE(WaitForExit(exiting_id), nullptr);
  ASSERT_NE(WaitForExit(aborting_id), nullptr);
  const ExitInfo* exited = WaitForExit(exiting_id);
  const ExitInfo* aborted = WaitForExit(aborting_id);
  EXPECT_EQ(exited->kind, ExitKind::kErrorExit) << exited->Describe();
  EXPECT_EQ(exited->exit_code, 7);
  EXPECT_EQ(aborted->kind, ExitKind::kCrashed) << aborted->Describe();
  EXPECT_EQ(aborted->signal, SIGABRT);
}

TEST_F(ZygoteHostTest, HelpersAreExecdOnceTheZygoteIsGone) {
  ASSERT_NE(LaunchReady("renderer"), nullptr);
  const std::vector<int64_t> zygotes = Zygotes();
  ASSERT_EQ(zygotes.size(), 1u);
  ASSERT_EQ(::kill(static_cast<pid_t>(zygotes[0]), SIGKILL), 0);
  // Still a zombie of ours until the host notices, at its next launch.
  HelperProcess* execd = LaunchReady("renderer");
  ASSERT_NE(execd, nullptr);
  EXPECT_EQ(testing::ParentProcessOf(execd->pid()), ::getpid());
  EXPECT_FALSE(testing::LooksForked(execd->pid()));
  ExpectAnswers(execd);
  // The dead zygote was reaped, not left a zombie: no longer a child at all.
  errno = 0;
  EXPECT_EQ(::waitpid(static_cast<pid_t>(zygotes[0]), nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_THAT(ZombieChildren(), ::testing::IsEmpty());
}

// A zygote that answers wrongly (tests/support/fake_zygote.h) is given up at
// its first answer: killed and reaped, and that helper and the next are
// exec'd.
class LyingZygoteTest : public ZygoteHostTest,
                        public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    ::setenv(testing::kFakeZygoteVariable, GetParam(), 1);
    ZygoteHost::SetExtraEnvironmentForTesting({testing::kFakeZygoteVariable});
    ZygoteHostTest::SetUp();
  }
  void TearDown() override {
    ::unsetenv(testing::kFakeZygoteVariable);
    ZygoteHost::SetExtraEnvironmentForTesting({});
  }
};

TEST_P(LyingZygoteTest, IsGivenUpAndHelpersAreExecd) {
  HelperProcess* first = LaunchReady("renderer");
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(testing::LooksForked(first->pid()));
  ExpectAnswers(first);
  EXPECT_THAT(Zygotes(), ::testing::IsEmpty());
  EXPECT_THAT(ZombieChildren(), ::testing::IsEmpty());
  HelperProcess* second = LaunchReady("renderer");
  ASSERT_NE(second, nullptr);
  EXPECT_FALSE(testing::LooksForked(second->pid()));
}

INSTANTIATE_TEST_SUITE_P(
    Answers, LyingZygoteTest,
    ::testing::Values("own-pid", "host-pid", "garbage", "with-fd", "silent"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      std::string name = info.param;
      name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
      return name;
    });

TEST_F(ZygoteHostTest, AZygoteThatDiesIsReapedAtOnce) {
  ASSERT_NE(LaunchReady("renderer"), nullptr);
  const std::vector<int64_t> zygotes = Zygotes();
  ASSERT_EQ(zygotes.size(), 1u);
  ASSERT_EQ(::kill(static_cast<pid_t>(zygotes[0]), SIGKILL), 0);
  // No launch needed: the loop hears of it and reaps it.
  EXPECT_TRUE(RunUntil([&] {
    siginfo_t info = {};
    errno = 0;
    return ::waitid(P_PID, static_cast<id_t>(zygotes[0]), &info,
                    WEXITED | WNOHANG | WNOWAIT) == -1 &&
           errno == ECHILD;
  }));
  EXPECT_THAT(ZombieChildren(), ::testing::IsEmpty());
}

TEST_F(ZygoteHostTest, TheZygoteEndsWithItsHost) {
  ASSERT_NE(LaunchReady("gpu"), nullptr);
  const std::vector<int64_t> zygotes = Zygotes();
  ASSERT_EQ(zygotes.size(), 1u);
  host_.reset();
  // Reaped by the host's destructor: no longer even a zombie of ours.
  errno = 0;
  EXPECT_EQ(::waitpid(static_cast<pid_t>(zygotes[0]), nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_FALSE(testing::ProcessExists(zygotes[0]));
}

// Sandboxed helpers are exec'd into their namespaces (or forked by a
// sandboxed zygote, sandbox_zygote_test.cc); the unsandboxed zygote is not
// even started for them.
class ZygoteWithSandboxTest : public ZygoteHostTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    ZygoteHostTest::ModifyOptions(options);
    options.sandbox_helpers = SandboxedLaunchAvailable();
    options.fork_sandboxed_helpers = false;
  }
};

TEST_F(ZygoteWithSandboxTest, SandboxedHelpersAreNotForked) {
  if (!SandboxedLaunchAvailable()) GTEST_SKIP() << "no sandbox here";
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  EXPECT_TRUE(Zygotes().empty());
  EXPECT_TRUE(helper->sandboxed());
}

}  // namespace
}  // namespace bulkhead
