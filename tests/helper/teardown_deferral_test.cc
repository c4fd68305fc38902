// The teardown keeper (helper/teardown_deferral_linux.cc) with real helpers:
// a helper has one, sharing its memory and holding none of its fds; it
// leaves with its helper; a sandboxed helper's is as confined as it is.
#include "helper/teardown_deferral.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/lockdown.h"
#include "tests/host/host_fixture.h"
#include "tests/support/file_contents.h"
#include "tests/support/process_probe.h"

namespace bulkhead {
namespace {

// The helper's child named "bulkhead-keeper"; 0 when it has none.
int64_t KeeperOf(int64_t helper) {
  std::ifstream children(
      absl::StrCat("/proc/", helper, "/task/", helper, "/children"));
  int64_t child = 0;
  while (children >> child) {
    if (testing::FileContents(absl::StrCat("/proc/", child, "/comm")) ==
        "bulkhead-keeper\n") {
      return child;
    }
  }
  return 0;
}

class TeardownDeferralTest : public testing::HostFixture {
 protected:
  void SetUp() override {
    if (absl::IsUnimplemented(Probe())) {
      GTEST_SKIP() << "no teardown keeper in this build";
    }
    HostFixture::SetUp();
  }
  void ModifyOptions(Host::Options& options) override {
    options.sandbox_helpers = false;
  }
  // A segfault of `helper` is still classified from the kernel's wait
  // status, and `keeper` goes with it.
  void ExpectCrashTakesTheKeeper(HelperProcess* helper, int64_t keeper) {
    const uint64_t id = helper->id();
    helper->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
    const ExitInfo* exit = WaitForExit(id);
    ASSERT_NE(exit, nullptr);
    EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
    EXPECT_EQ(exit->signal, SIGSEGV);
    EXPECT_TRUE(testing::WaitForProcessGone(keeper, absl::Seconds(10)));
  }
  // Whether this build has a keeper at all, without starting one here.
  static absl::Status Probe() {
#if defined(__SANITIZE_THREAD__)
    return absl::UnimplementedError("tsan");
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    return absl::UnimplementedError("tsan");
#endif
#endif
#if defined(__x86_64__) || defined(__aarch64__)
    return absl::OkStatus();
#else
    return absl::UnimplementedError("cpu");
#endif
  }
};

TEST_F(TeardownDeferralTest, AnUnsandboxedHelperHasAKeeperSharingItsMemory) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  const int64_t keeper = KeeperOf(helper->pid());
  ASSERT_NE(keeper, 0) << "no keeper under helper " << helper->pid();
  // One address space: the same mappings, to the byte.
  EXPECT_EQ(
      testing::FileContents(absl::StrCat("/proc/", keeper, "/maps")),
      testing::FileContents(absl::StrCat("/proc/", helper->pid(), "/maps")));
  // None of the helper's fds, so none of its pipes stays open: only the
  // pipe that wakes it.
  std::vector<std::string> fds;
  for (const auto& entry : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", keeper, "/fd"))) {
    fds.push_back(std::filesystem::read_symlink(entry.path()).string());
  }
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_THAT(fds[0], ::testing::StartsWith("pipe:"));
  // Every signal but SIGKILL and SIGSTOP (bits 9 and 19) is blocked: the
  // host's SIGTERM to the group does not end it before its helper.
  EXPECT_THAT(testing::FileContents(absl::StrCat("/proc/", keeper, "/status")),
              ::testing::HasSubstr("SigBlk:\tfffffffffffbfeff"));
}

TEST_F(TeardownDeferralTest, TheKeeperLeavesWithItsHelper) {
  HelperProcess* helper = LaunchReady("utility");
  ASSERT_NE(helper, nullptr);
  const int64_t keeper = KeeperOf(helper->pid());
  ASSERT_NE(keeper, 0);
  ExpectCrashTakesTheKeeper(helper, keeper);
}

class SandboxedTeardownDeferralTest : public TeardownDeferralTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.sandbox_helpers = true;
  }
};

// Made after the lockdown: as confined as its helper, down to the seccomp
// filter, whose base runtime allows exactly the keeper's clone.
TEST_F(SandboxedTeardownDeferralTest, ASandboxedHelpersKeeperIsAsConfined) {
  if (!SandboxedLaunchAvailable() || !sandbox::LockdownAvailable()) {
    GTEST_SKIP() << "no sandbox here";
  }
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  ASSERT_TRUE(helper->sandboxed());
  const int64_t keeper = KeeperOf(helper->pid());
  ASSERT_NE(keeper, 0) << "no keeper under helper " << helper->pid();
  const std::string status =
      testing::FileContents(absl::StrCat("/proc/", keeper, "/status"));
  EXPECT_THAT(status, ::testing::HasSubstr("NoNewPrivs:\t1"));
  EXPECT_THAT(status, ::testing::HasSubstr("Seccomp:\t2"));
  EXPECT_THAT(status, ::testing::HasSubstr("Seccomp_filters:\t1"));
  EXPECT_EQ(
      testing::FileContents(absl::StrCat("/proc/", keeper, "/maps")),
      testing::FileContents(absl::StrCat("/proc/", helper->pid(), "/maps")));
  ExpectCrashTakesTheKeeper(helper, keeper);
}

}  // namespace
}  // namespace bulkhead
