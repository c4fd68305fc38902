// The helper's environment (host/launch/helper_environment.h): built from the
// policy, the launch and the runtime's few variables, and nothing else of the
// host's, on every launch path. Real helpers (the env-reader test role); every
// wait is on an event, bounded by a deadline.
#include "host/launch/helper_environment.h"

#include <uv.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/compiler.h"
#include "common/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "host/launch/launch_options.h"
#include "sample_roles/work.pb.h"
#include "sandbox/sandbox_policy.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

constexpr char kSecretName[] = "BULKHEAD_TEST_SECRET_TOKEN";
constexpr char kSecretValue[] = "canary-5b1e0f7d-not-for-helpers";

TEST(HelperEnvironmentTest, KeepsOnlyTheRuntimesVariablesOfTheHosts) {
  const std::vector<std::string> host = {
      "PATH=/usr/bin", "HOME=/root", "LD_LIBRARY_PATH=/opt/lib",
      "ASAN_OPTIONS=abort_on_error=1",
      absl::StrCat(kSecretName, "=", kSecretValue)};
  const std::vector<std::string> out =
      HelperEnvironment({}, host, /*sandboxed=*/false);
#if defined(_WIN32)
  EXPECT_THAT(out, ElementsAre("ASAN_OPTIONS=abort_on_error=1"));
#else
  EXPECT_THAT(out, ElementsAre("ASAN_OPTIONS=abort_on_error=1",
                               "LD_LIBRARY_PATH=/opt/lib"));
#endif
}

TEST(HelperEnvironmentTest, SetsAndPassesWhatTheEntriesNameLaterOnesWinning) {
  const std::vector<std::string> host = {"PATH=/usr/bin", "HOME=/root"};
  const std::vector<std::string> out = HelperEnvironment(
      {"LANG=C.UTF-8", "PATH", "NOT_IN_THE_HOST", "LANG=en_GB.UTF-8", "=x"},
      host, /*sandboxed=*/false);
  EXPECT_THAT(out, ElementsAre("LANG=en_GB.UTF-8", "PATH=/usr/bin"));
}

TEST(HelperEnvironmentTest, ASandboxedHelpersLeakCheckIsOffUnderASan) {
  const std::vector<std::string> out =
      HelperEnvironment({}, {"ASAN_OPTIONS=a=1"}, /*sandboxed=*/true);
  if (BH_ADDRESS_SANITIZER) {
    EXPECT_THAT(out, ElementsAre("ASAN_OPTIONS=a=1:detect_leaks=0"));
  } else {
    EXPECT_THAT(out, ElementsAre("ASAN_OPTIONS=a=1"));
  }
}

TEST(HelperEnvironmentTest, TheHostsEnvironmentIsReadWhole) {
  ASSERT_EQ(uv_os_setenv(kSecretName, kSecretValue), 0);
  EXPECT_THAT(HostEnvironment(),
              Contains(absl::StrCat(kSecretName, "=", kSecretValue)));
  uv_os_unsetenv(kSecretName);
  EXPECT_THAT(HostEnvironment(),
              Not(Contains(absl::StrCat(kSecretName, "=", kSecretValue))));
}

enum class Mode { kExecd, kForked, kSandboxed };

std::string ModeName(const ::testing::TestParamInfo<Mode>& info) {
  switch (info.param) {
    case Mode::kExecd:
      return "Execd";
    case Mode::kForked:
      return "ZygoteForked";
    case Mode::kSandboxed:
      return "Sandboxed";
  }
  return "?";
}

// A secret in the host's environment (set before the host, and so before its
// zygote, starts) reaches no helper; what the policy and the launch name do.
class HelperEnvironmentLaunchTest : public testing::HostFixture,
                                    public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override {
    if (GetParam() == Mode::kForked && !ZygoteAvailable()) {
      GTEST_SKIP() << "no zygote in this build or kernel";
    }
    if (GetParam() == Mode::kSandboxed && !SandboxedLaunchAvailable()) {
      GTEST_SKIP() << "no sandboxed launch here";
    }
    ASSERT_EQ(uv_os_setenv(kSecretName, kSecretValue), 0);
    ASSERT_EQ(uv_os_setenv("BULKHEAD_TEST_PASSED", "from the host"), 0);
    HostFixture::SetUp();
  }

  void TearDown() override {
    uv_os_unsetenv(kSecretName);
    uv_os_unsetenv("BULKHEAD_TEST_PASSED");
  }

  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
    options.sandbox_helpers = GetParam() == Mode::kSandboxed;
    options.fork_helpers_from_zygote = GetParam() == Mode::kForked;
    options.sandbox_policy_for_role = [](absl::string_view role) {
      sandbox::SandboxPolicy policy = sandbox::PresetForRole(role);
      policy.environment.push_back("BULKHEAD_TEST_FROM_POLICY=policy");
      policy.environment.push_back("BULKHEAD_TEST_OVERRIDDEN=policy");
      return policy;
    };
  }

  HelperProcess* LaunchEnvReader() {
    Host::LaunchOverrides overrides;
    overrides.environment = {"BULKHEAD_TEST_PASSED",
                             "BULKHEAD_TEST_OVERRIDDEN=launch"};
    return LaunchReady("env-reader", std::move(overrides));
  }

  std::string ReadEnv(HelperProcess* helper, const std::string& name) {
    roles::LayoutTextRequest request;
    request.set_text(name);
    absl::StatusOr<roles::LayoutTextResponse> response =
        CallAndWait<roles::LayoutTextResponse>(helper, request);
    if (!response.ok() || response->lines_size() != 1) return "<no answer>";
    return response->lines(0);
  }
};

TEST_P(HelperEnvironmentLaunchTest, TheHostsSecretIsAbsentAndNamedOnesPresent) {
  HelperProcess* helper = LaunchEnvReader();
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(ReadEnv(helper, kSecretName), "<unset>");
  EXPECT_EQ(ReadEnv(helper, "BULKHEAD_TEST_FROM_POLICY"), "policy");
  EXPECT_EQ(ReadEnv(helper, "BULKHEAD_TEST_OVERRIDDEN"), "launch");
  EXPECT_EQ(ReadEnv(helper, "BULKHEAD_TEST_PASSED"), "from the host");
#if !defined(_WIN32)
  // Windows' uv_spawn adds PATH and a few others itself (see the header).
  EXPECT_EQ(ReadEnv(helper, "PATH"), "<unset>");
  EXPECT_EQ(ReadEnv(helper, "HOME"), "<unset>");
#endif
#if defined(BULKHEAD_OS_LINUX)
  // What the helper was exec'd with (for a forked one, its zygote's), as any
  // reader of its memory would find it.
  std::ifstream file(absl::StrCat("/proc/", helper->pid(), "/environ"));
  ASSERT_TRUE(file.is_open());
  const std::string exec_environment((std::istreambuf_iterator<char>(file)),
                                     std::istreambuf_iterator<char>());
  EXPECT_FALSE(absl::StrContains(exec_environment, kSecretValue));
  EXPECT_FALSE(absl::StrContains(exec_environment, "PATH=/"));
#endif
}

TEST_P(HelperEnvironmentLaunchTest, ABadEntryFailsTheLaunchUpFront) {
  Host::LaunchOverrides overrides;
  overrides.environment = {"=no name"};
  absl::StatusOr<HelperProcess*> launched = host_->Launch(
      "env-reader", std::move(overrides), [](absl::StatusOr<HelperProcess*>) {
        ADD_FAILURE() << "a refused launch completed";
      });
  EXPECT_TRUE(absl::IsInvalidArgument(launched.status())) << launched.status();
}

INSTANTIATE_TEST_SUITE_P(EveryLaunchPath, HelperEnvironmentLaunchTest,
                         ::testing::Values(Mode::kExecd, Mode::kForked,
                                           Mode::kSandboxed),
                         ModeName);

}  // namespace
}  // namespace bulkhead
