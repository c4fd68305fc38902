// Files for real helpers: handed over at launch (the policy's PreOpen and
// LaunchOverrides::files, taken with TakeFile, still there after the
// lockdown), the file broker (OpenFile decided by the host's rules: allowed,
// refused, flooded) and warm-ups (one that fails or leaves a thread fails the
// launch with its reason). Sandboxed where the platform can, and forked from
// the zygote or exec'd unsandboxed.
#include <fcntl.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/config.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/platform.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"

namespace bulkhead {
namespace {

namespace fs = std::filesystem;

// Which way a helper is launched: sandboxed (where available), or not (then
// forked from the zygote where the host has one, else exec'd).
enum class FilesMode { kSandboxed, kUnsandboxed, kExecd };

std::string FilesModeName(const ::testing::TestParamInfo<FilesMode>& info) {
  switch (info.param) {
    case FilesMode::kSandboxed:
      return "Sandboxed";
    case FilesMode::kUnsandboxed:
      return "Unsandboxed";
    case FilesMode::kExecd:
      return "Execd";
  }
  return "?";
}

class HostFilesTest : public testing::HostFixture,
                      public ::testing::WithParamInterface<FilesMode> {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.fork_helpers_from_zygote = GetParam() == FilesMode::kUnsandboxed;
  }

  void SetUp() override {
    if (GetParam() == FilesMode::kSandboxed && !SandboxedLaunchAvailable()) {
      GTEST_SKIP() << "no sandboxed launch here";
    }
    HostFixture::SetUp();
    const ::testing::TestInfo* test =
        ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat("bulkhead-files-", uv_os_getpid(), "-",
                        absl::StrReplaceAll(test->name(), {{"/", "-"}}));
    fs::create_directories(dir_ / "allowed" / "sub");
    Write(dir_ / "allowed" / "a.txt", "alpha");
    Write(dir_ / "allowed" / "sub" / "b.txt", "bravo");
    Write(dir_ / "secret.txt", "secret");
    Write(dir_ / "preopened.txt", "pre-opened");
  }

  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  std::string PathOf(const fs::path& path) const { return path.string(); }

  // The role's preset with the test's file access added.
  sandbox::SandboxPolicy Policy() const {
    sandbox::SandboxPolicy policy = sandbox::PresetForRole("files");
    policy.broker_rules.push_back({PathOf(dir_ / "allowed"), true, false});
    policy.preopened.push_back({"data", PathOf(dir_ / "preopened.txt"), false});
    return policy;
  }

  Host::LaunchOverrides Overrides() const {
    Host::LaunchOverrides overrides;
    overrides.sandboxed = GetParam() == FilesMode::kSandboxed;
    overrides.sandbox_policy = Policy();
    overrides.restart = false;
    return overrides;
  }

  HelperProcess* LaunchFiles(Host::LaunchOverrides overrides) {
    bool finished = false;
    HelperProcess* ready = nullptr;
    absl::StatusOr<HelperProcess*> launched =
        host_->Launch("files", std::move(overrides),
                      [&](absl::StatusOr<HelperProcess*> helper) {
                        finished = true;
                        EXPECT_TRUE(helper.ok()) << helper.status();
                        if (helper.ok()) ready = *helper;
                      });
    EXPECT_TRUE(launched.ok()) << launched.status();
    if (!launched.ok()) return nullptr;
    EXPECT_TRUE(RunUntil([&] { return finished; }));
    // Wine accepts the restricted token and job but enforces little of
    // them, so its probe says "not sandboxed"; the files must arrive anyway.
    if (ready != nullptr && GetParam() == FilesMode::kSandboxed &&
        !testing::RunningUnderWine()) {
      EXPECT_TRUE(ready->sandbox_status().sandboxed());
    }
    return ready;
  }

  std::vector<std::string> Ask(HelperProcess* helper, const std::string& text) {
    roles::LayoutTextRequest request;
    request.set_text(text);
    absl::StatusOr<roles::LayoutTextResponse> response =
        CallAndWait<roles::LayoutTextResponse>(helper, request);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return {response->lines().begin(), response->lines().end()};
  }

  // "open FLAGS PATH", and the one-way answer that follows.
  std::vector<std::string> Open(HelperProcess* helper, int flags,
                                const std::string& path) {
    std::optional<std::vector<std::string>> outcome;
    helper->channel().On<roles::LayoutTextResponse>(
        [&](const roles::LayoutTextResponse& response) {
          outcome.emplace(response.lines().begin(), response.lines().end());
        });
    EXPECT_EQ(Ask(helper, absl::StrCat("open ", flags, " ", path)),
              std::vector<std::string>{"asked"});
    EXPECT_TRUE(RunUntil([&] { return outcome.has_value(); }));
    return outcome.value_or(std::vector<std::string>{"no answer"});
  }

  static std::string Code(absl::StatusCode code) {
    return absl::StrCat(static_cast<int>(code));
  }

  fs::path dir_;
};

TEST_P(HostFilesTest, APreopenedFileIsReadableAfterTheLockdown) {
  HelperProcess* helper = LaunchFiles(Overrides());
  ASSERT_NE(helper, nullptr);
  // Taken after Run(): the lockdown kept it.
  EXPECT_EQ(Ask(helper, "take data"),
            (std::vector<std::string>{"ok", "pre-opened"}));
  // Once only.
  EXPECT_EQ(Ask(helper, "take data")[0], Code(absl::StatusCode::kNotFound));
}

TEST_P(HostFilesTest, AnUnknownNameIsNotFound) {
  HelperProcess* helper = LaunchFiles(Overrides());
  ASSERT_NE(helper, nullptr);
  std::vector<std::string> answer = Ask(helper, "take nothing-by-this-name");
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_EQ(answer[0], Code(absl::StatusCode::kNotFound));
  EXPECT_NE(answer[1].find("nothing-by-this-name"), std::string::npos);
}

TEST_P(HostFilesTest, AnAppsHandleReachesTheHelperByName) {
  Write(dir_ / "app.txt", "from the app");
  FILE* app_file = std::fopen(PathOf(dir_ / "app.txt").c_str(), "rb");
  ASSERT_NE(app_file, nullptr);
  Host::LaunchOverrides overrides = Overrides();
#if defined(_WIN32)
  overrides.files["app"] =
      reinterpret_cast<NativeHandle>(_get_osfhandle(_fileno(app_file)));
#else
  overrides.files["app"] = fileno(app_file);
#endif
  HelperProcess* helper = LaunchFiles(std::move(overrides));
  // The host took its own copy at Launch: the app's may go.
  std::fclose(app_file);
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(Ask(helper, "take app"),
            (std::vector<std::string>{"ok", "from the app"}));
}

TEST_P(HostFilesTest, APreopenedPathThatIsMissingFailsTheLaunch) {
  Host::LaunchOverrides overrides = Overrides();
  overrides.sandbox_policy->preopened.push_back(
      {"gone", PathOf(dir_ / "no-such-file"), false});
  absl::StatusOr<HelperProcess*> launched =
      host_->Launch("files", std::move(overrides), nullptr);
  ASSERT_FALSE(launched.ok());
  EXPECT_NE(launched.status().message().find("gone"), std::string::npos)
      << launched.status();
}

TEST_P(HostFilesTest, TheBrokerOpensWhatARuleAllows) {
  HelperProcess* helper = LaunchFiles(Overrides());
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(Open(helper, O_RDONLY, PathOf(dir_ / "allowed" / "a.txt")),
            (std::vector<std::string>{"ok", "alpha"}));
  EXPECT_EQ(Open(helper, O_RDONLY, PathOf(dir_ / "allowed" / "sub" / "b.txt")),
            (std::vector<std::string>{"ok", "bravo"}));
  EXPECT_EQ(helper->broker_requests(), 2u);
  EXPECT_EQ(helper->broker_requests_denied(), 0u);
}

TEST_P(HostFilesTest, TheBrokerRefusesWhatNoRuleAllowsAndTheHelperGoesOn) {
  HelperProcess* helper = LaunchFiles(Overrides());
  ASSERT_NE(helper, nullptr);
  const std::string denied = Code(absl::StatusCode::kPermissionDenied);
  // Outside the rules, by name and by `..`.
  EXPECT_EQ(Open(helper, O_RDONLY, PathOf(dir_ / "secret.txt"))[0], denied);
  EXPECT_EQ(
      Open(helper, O_RDONLY, PathOf(dir_ / "allowed") + "/../secret.txt")[0],
      denied);
  // Writing under a read rule.
  EXPECT_EQ(
      Open(helper, O_WRONLY | O_CREAT, PathOf(dir_ / "allowed" / "new.txt"))[0],
      denied);
  EXPECT_FALSE(fs::exists(dir_ / "allowed" / "new.txt"));
  // A directory.
  EXPECT_EQ(Open(helper, O_RDONLY, PathOf(dir_ / "allowed" / "sub"))[0],
            denied);
  EXPECT_EQ(helper->broker_requests_denied(), 4u);
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
  // And it still gets what it may.
  EXPECT_EQ(Open(helper, O_RDONLY, PathOf(dir_ / "allowed" / "a.txt"))[0],
            "ok");
}

TEST_P(HostFilesTest, TheCallbackNeverRunsInsideOpenFile) {
  HelperProcess* helper = LaunchFiles(Overrides());
  ASSERT_NE(helper, nullptr);
  std::optional<std::vector<std::string>> outcome;
  helper->channel().On<roles::LayoutTextResponse>(
      [&](const roles::LayoutTextResponse& response) {
        outcome.emplace(response.lines().begin(), response.lines().end());
      });
  // Past the client's 64 outstanding requests, the rest are refused at once:
  // still answered from the loop.
  ASSERT_EQ(Ask(helper,
                absl::StrCat("burst 70 ", PathOf(dir_ / "allowed" / "a.txt"))),
            std::vector<std::string>{"asked"});
  ASSERT_TRUE(RunUntil([&] { return outcome.has_value(); }));
  EXPECT_EQ(*outcome, (std::vector<std::string>{"burst", "64", "6", "0", "0"}));
}

TEST_P(HostFilesTest, AFloodOfRequestsIsBoundedAndTheHelperLives) {
  HelperProcess* helper = LaunchFiles(Overrides());
  ASSERT_NE(helper, nullptr);
  std::optional<std::vector<std::string>> outcome;
  helper->channel().On<roles::LayoutTextResponse>(
      [&](const roles::LayoutTextResponse& response) {
        outcome.emplace(response.lines().begin(), response.lines().end());
      });
  const int kRequests = 3000;
  ASSERT_EQ(Ask(helper, absl::StrCat("flood ", kRequests, " ",
                                     PathOf(dir_ / "allowed" / "a.txt"))),
            std::vector<std::string>{"asked"});
  ASSERT_TRUE(RunUntil([&] { return outcome.has_value(); }, absl::Seconds(60)));
  ASSERT_EQ(outcome->size(), 5u);
  int ok = 0, exhausted = 0, other = 0;
  ASSERT_TRUE(absl::SimpleAtoi((*outcome)[1], &ok));
  ASSERT_TRUE(absl::SimpleAtoi((*outcome)[3], &exhausted));
  ASSERT_TRUE(absl::SimpleAtoi((*outcome)[4], &other));
  // Some went through, the rest were turned away, none was lost.
  EXPECT_GT(ok, 0);
  // Under Wine the requests arrive slower than the host's rate (2000/s), so
  // none needs turning away there: the bound is seen on Linux only.
  const bool bound_reached = !testing::RunningUnderWine();
  if (bound_reached) {
    EXPECT_GT(exhausted, 0);
  }
  EXPECT_EQ(helper->broker_requests(), static_cast<uint64_t>(kRequests));
  // Turned away by the host's rate, or (the rest) because the helper left
  // too many descriptors unread on its handle socket.
  if (bound_reached) {
    EXPECT_GT(helper->broker_requests_throttled(), 0u);
  }
  EXPECT_LE(helper->broker_requests_throttled(),
            static_cast<uint64_t>(exhausted));
  EXPECT_EQ(ok + exhausted + other, kRequests);
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
}

TEST_P(HostFilesTest, AWarmUpThatLeavesAThreadFailsTheLaunchWithItsName) {
#if !defined(BULKHEAD_OS_LINUX)
  GTEST_SKIP() << "threads are counted on Linux only";
#endif
  Host::LaunchOverrides overrides = Overrides();
  absl::Status ready_status;
  absl::StatusOr<HelperProcess*> launched =
      host_->Launch("warm-threader", std::move(overrides),
                    [&](absl::StatusOr<HelperProcess*> helper) {
                      ready_status = helper.status();
                    });
  ASSERT_TRUE(launched.ok()) << launched.status();
  const ExitInfo* exit = WaitForExit((*launched)->id());
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kLaunchFailed) << exit->Describe();
  const std::string why(exit->launch_status.message());
  EXPECT_NE(why.find("warm-up 'spawn-background-thread'"), std::string::npos)
      << why;
  EXPECT_NE(why.find("thread"), std::string::npos) << why;
  EXPECT_FALSE(ready_status.ok());
}

TEST_P(HostFilesTest, AWarmUpThatLeavesAProcessFailsTheLaunchWithItsName) {
#if !defined(BULKHEAD_OS_LINUX)
  GTEST_SKIP() << "processes are counted on Linux only";
#endif
  absl::StatusOr<HelperProcess*> launched =
      host_->Launch("warm-forker", Overrides(), nullptr);
  ASSERT_TRUE(launched.ok()) << launched.status();
  const ExitInfo* exit = WaitForExit((*launched)->id());
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kLaunchFailed) << exit->Describe();
  const std::string why(exit->launch_status.message());
  EXPECT_NE(why.find("warm-up 'spawn-daemon'"), std::string::npos) << why;
  EXPECT_NE(why.find("process"), std::string::npos) << why;
}

// Started by the role's main before Run(), outside any warm-up: the lockdown
// must not leave it running unconfined. DISABLED: it fails today (the
// process keeps the host's root, every capability, no seccomp filter and the
// channel); the fix (HelperContext::Run refusing to lock down while
// ListChildren() is not empty) also fails the adversarial suite's
// setsid-child/double-fork-daemon/fork-bomb-before-ready roles in sandboxed
// mode, whose expectations are the lead's to decide (see the session-5
// attack report).
TEST_P(HostFilesTest, AProcessStartedBeforeTheLockdownFailsASandboxedLaunch) {
#if !defined(BULKHEAD_OS_LINUX)
  GTEST_SKIP() << "processes are counted on Linux only";
#endif
  if (GetParam() != FilesMode::kSandboxed) {
    GTEST_SKIP() << "an unsandboxed helper has no lockdown to escape";
  }
  absl::StatusOr<HelperProcess*> launched =
      host_->Launch("early-forker", Overrides(), nullptr);
  ASSERT_TRUE(launched.ok()) << launched.status();
  const ExitInfo* exit = WaitForExit((*launched)->id());
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kLaunchFailed) << exit->Describe();
  const std::string why(exit->launch_status.message());
  EXPECT_NE(why.find("process"), std::string::npos) << why;
}

TEST_P(HostFilesTest, AWarmUpThatFailsFailsTheLaunchWithItsReason) {
  absl::StatusOr<HelperProcess*> launched =
      host_->Launch("warm-failer", Overrides(), nullptr);
  ASSERT_TRUE(launched.ok()) << launched.status();
  const ExitInfo* exit = WaitForExit((*launched)->id());
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kLaunchFailed) << exit->Describe();
  const std::string why(exit->launch_status.message());
  EXPECT_NE(why.find("warm-up 'load-model' failed: model.bin is missing"),
            std::string::npos)
      << why;
}

TEST_P(HostFilesTest, AWarmUpThatEndsItsThreadsLetsTheHelperRun) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  // ThreadSanitizer starts a background thread of its own when a helper's
  // first thread does, so a warm-up that joins its thread still leaves one.
  GTEST_SKIP() << "ThreadSanitizer's own thread outlives the warm-up's";
#endif
  bool finished = false;
  HelperProcess* ready = nullptr;
  absl::StatusOr<HelperProcess*> launched = host_->Launch(
      "warm-joiner", Overrides(), [&](absl::StatusOr<HelperProcess*> helper) {
        finished = true;
        ASSERT_TRUE(helper.ok()) << helper.status();
        ready = *helper;
      });
  ASSERT_TRUE(launched.ok());
  ASSERT_TRUE(RunUntil([&] { return finished; }));
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(Ask(ready, "x"), std::vector<std::string>{"warmed"});
}

INSTANTIATE_TEST_SUITE_P(LaunchModes, HostFilesTest,
                         ::testing::Values(FilesMode::kSandboxed,
                                           FilesMode::kUnsandboxed,
                                           FilesMode::kExecd),
                         FilesModeName);

}  // namespace
}  // namespace bulkhead
