// MaybeRunHelper's command-line contract, checked on real processes: this test
// binary run with helper switches.
#include "helper/helper_main.h"

#include <csignal>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helper/exit_codes.h"
#include "tests/support/run_process.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

testing::ProcessOutput RunSelf(std::vector<std::string> args) {
  args.insert(args.begin(), testing::SelfPath());
  absl::StatusOr<testing::ProcessOutput> output =
      testing::RunProcess(args, "", absl::Seconds(20));
  EXPECT_TRUE(output.ok()) << output.status();
  return output.ok() ? *output : testing::ProcessOutput{};
}

// The test support's own contract: a program that cannot be started is an
// error naming it, and the run leaves no handle or loop behind (the sanitizer
// presets see a leak otherwise).
TEST(RunProcessTest, AMissingProgramIsAnErrorNamingIt) {
  const std::string missing = testing::SelfPath() + "-no-such-program";
  absl::StatusOr<testing::ProcessOutput> output =
      testing::RunProcess({missing}, "input", absl::Seconds(5));
  ASSERT_FALSE(output.ok());
  EXPECT_THAT(output.status().message(), HasSubstr(missing));
}

TEST(MaybeRunHelperTest, ReturnsNulloptWithoutType) {
  const char* argv[] = {"prog", "--ipc-fd=3", "--helper-id=1"};
  EXPECT_FALSE(
      MaybeRunHelper(3, argv, testing::TestRoleRegistry()).has_value());
}

struct BadArgs {
  std::string name;  // Test name suffix.
  std::vector<std::string> args;
  std::string message;
};

class BadHelperArgsTest : public ::testing::TestWithParam<BadArgs> {};

TEST_P(BadHelperArgsTest, ExitsWithUsageCodeAndAClearMessage) {
  testing::ProcessOutput output = RunSelf(GetParam().args);
  EXPECT_EQ(output.term_signal, 0) << "crashed instead of exiting";
  EXPECT_EQ(output.exit_status, kExitUsage);
  EXPECT_THAT(output.err, HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadHelperArgsTest,
    ::testing::Values(
        BadArgs{"UnknownType",
                {"--type=plumber", "--ipc-fd=3", "--helper-id=1"},
                "unknown --type=plumber"},
        BadArgs{"BareType",
                {"--type", "--ipc-fd=3", "--helper-id=1"},
                "unknown --type="},
        BadArgs{"MissingIpcFd",
                {"--type=renderer", "--helper-id=1"},
                "missing --ipc-fd"},
        BadArgs{"NonNumericIpcFd",
                {"--type=renderer", "--ipc-fd=abc", "--helper-id=1"},
                "--ipc-fd=abc"},
        BadArgs{"NegativeIpcFd",
                {"--type=renderer", "--ipc-fd=-4", "--helper-id=1"},
                "--ipc-fd=-4"},
        BadArgs{"StdioIpcFd",
                {"--type=renderer", "--ipc-fd=1", "--helper-id=1"},
                "cannot be a channel"},
        BadArgs{"ClosedIpcFd",
                {"--type=renderer", "--ipc-fd=977", "--helper-id=1"},
                "not open"},
        BadArgs{"MissingHelperId",
                {"--type=renderer", "--ipc-fd=3"},
                "missing --helper-id"},
        BadArgs{"ZeroHelperId",
                {"--type=renderer", "--ipc-fd=3", "--helper-id=0"},
                "--helper-id=0"},
        BadArgs{"ZeroHandshakeTimeout",
                {"--type=renderer", "--ipc-fd=3", "--helper-id=1",
                 "--handshake-timeout-ms=0"},
                "--handshake-timeout-ms=0"},
        BadArgs{"WordyHandshakeTimeout",
                {"--type=renderer", "--ipc-fd=3", "--helper-id=1",
                 "--handshake-timeout-ms=soon"},
                "--handshake-timeout-ms=soon"}),
    [](const ::testing::TestParamInfo<BadArgs>& info) {
      return info.param.name;
    });

TEST(BadHelperArgsTest, UnknownTypeListsTheKnownRoles) {
  testing::ProcessOutput output =
      RunSelf({"--type=plumber", "--ipc-fd=3", "--helper-id=1"});
  EXPECT_THAT(output.err, HasSubstr("renderer"));
  EXPECT_THAT(output.err, HasSubstr("network"));
}

}  // namespace
}  // namespace bulkhead
