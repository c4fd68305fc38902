// The browser_host executable, run for real: flags, and the demo from start to
// clean exit.
#include <cctype>
#include <csignal>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/lockdown.h"
#include "tests/support/process_probe.h"
#include "tests/support/run_process.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

testing::ProcessOutput RunBrowserHost(std::vector<std::string> args,
                                      const std::string& input) {
  args.insert(args.begin(), BROWSER_HOST_PATH);
  absl::StatusOr<testing::ProcessOutput> output =
      testing::RunProcess(args, input, absl::Seconds(30));
  EXPECT_TRUE(output.ok()) << output.status();
  return output.ok() ? *output : testing::ProcessOutput{};
}

TEST(BrowserHostMainTest, HelpPrintsUsage) {
  testing::ProcessOutput output = RunBrowserHost({"--help"}, "");
  EXPECT_EQ(output.exit_status, 0);
  EXPECT_THAT(output.out, HasSubstr("Usage: browser_host"));
}

TEST(BrowserHostMainTest, VersionPrintsTheVersion) {
  testing::ProcessOutput output = RunBrowserHost({"--version"}, "");
  EXPECT_EQ(output.exit_status, 0);
  EXPECT_THAT(output.out, HasSubstr("browser_host 0."));
}

TEST(BrowserHostMainTest, UnknownFlagIsAUsageError) {
  testing::ProcessOutput output = RunBrowserHost({"--frobnicate"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_EQ(output.term_signal, 0);
  EXPECT_THAT(output.err, HasSubstr("unknown flag --frobnicate"));
}

TEST(BrowserHostMainTest, BadLogLevelIsAUsageError) {
  testing::ProcessOutput output = RunBrowserHost({"--log-level=loud"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("bad --log-level"));
}

TEST(BrowserHostMainTest, UnknownHelperTypeExitsWithUsageCode) {
  testing::ProcessOutput output =
      RunBrowserHost({"--type=plumber", "--ipc-fd=3", "--helper-id=1"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("unknown --type=plumber"));
}

TEST(BrowserHostMainTest, SandboxReportShowsEveryRolesLayers) {
  testing::ProcessOutput output = RunBrowserHost({"sandbox-report"}, "");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  for (const char* role : {"renderer\n", "gpu\n", "utility\n", "network\n"}) {
    EXPECT_THAT(output.out, HasSubstr(role));
  }
  // What the probe saw, whatever the platform: at least the verdict.
  EXPECT_THAT(output.out, HasSubstr("; sandboxed: yes"));
  EXPECT_THAT(output.out, HasSubstr("IN FORCE"));
  EXPECT_THAT(output.out, ::testing::Not(HasSubstr("MISSING")));
}

TEST(BrowserHostMainTest, SandboxLearnListsTheCallsAndProposesAPolicy) {
  testing::ProcessOutput output =
      RunBrowserHost({"sandbox-learn", "--role=utility"}, "");
  if (!sandbox::LockdownAvailable()) {
    EXPECT_EQ(output.exit_status, 1);
    EXPECT_THAT(output.err, HasSubstr("learning mode needs Linux"));
    return;
  }
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  // The loop's own calls are always among those made, and nothing the
  // utility preset refuses.
  EXPECT_THAT(output.out, HasSubstr("epoll_wait"));
  EXPECT_THAT(output.out, HasSubstr("0 call(s) it would refuse"));
  EXPECT_THAT(output.out, HasSubstr("SandboxPolicyBuilder(\"utility\")"));
}

TEST(BrowserHostMainTest, SandboxLearnNeedsAKnownRole) {
  testing::ProcessOutput output =
      RunBrowserHost({"sandbox-learn", "--role=plumber"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("plumber"));
  output = RunBrowserHost({"sandbox-learn"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("--role"));
}

TEST(BrowserHostMainTest, SandboxReportWithoutSandboxSaysSoLoudly) {
  testing::ProcessOutput output =
      RunBrowserHost({"sandbox-report", "--no-sandbox"}, "");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  EXPECT_THAT(output.out, HasSubstr("none (--no-sandbox); sandboxed: NO"));
  EXPECT_THAT(output.out, HasSubstr("WARNING: --no-sandbox"));
}

// With input closed at once, the demo still finishes its round of work, prints
// the table and then shuts down cleanly.
TEST(BrowserHostMainTest, DemoRunsEveryRoleAndShutsDownCleanly) {
  testing::ProcessOutput output = RunBrowserHost({}, "status\n");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  for (const char* role : {"renderer-", "gpu-", "utility-", "network-"}) {
    EXPECT_THAT(output.out, HasSubstr(std::string("ok    ") + role))
        << output.out;
  }
  EXPECT_THAT(output.out, HasSubstr("HELPER"));
  // Each helper's round trip was measured before the first table: a number
  // of microseconds ("77 us") is in it.
  const size_t us = output.out.find(" us ");
  ASSERT_NE(us, std::string::npos) << output.out;
  EXPECT_TRUE(us > 0 &&
              std::isdigit(static_cast<unsigned char>(output.out[us - 1])))
      << output.out;
  EXPECT_THAT(output.out, HasSubstr("All helpers stopped."));
  EXPECT_THAT(output.out, Not(HasSubstr("FAIL")));
  EXPECT_THAT(output.out, HasSubstr(": host-shutdown"));
}

TEST(BrowserHostMainTest, QuitCommandStopsTheHost) {
  testing::ProcessOutput output = RunBrowserHost({}, "quit\n");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  EXPECT_THAT(output.out, HasSubstr("Shutting down (quit)"));
  EXPECT_THAT(output.out, HasSubstr("All helpers stopped."));
}

// A crash injected from the command line is reported with its stack, and the
// host carries on to a clean exit.
TEST(BrowserHostMainTest, CrashCommandIsReportedWithAStack) {
  absl::StatusOr<testing::ProcessOutput> output =
      testing::RunProcess({BROWSER_HOST_PATH}, "", absl::Seconds(30),
                          {.marker = "Commands:",
                           .signal = 0,
                           .input = "crash renderer segv\nquit\n"});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, 0) << output->out << output->err;
  EXPECT_THAT(output->out, HasSubstr("injecting segv into renderer-1"));
  // "crashed (signal 11 SIGSEGV)", or on Windows "crashed (exception ...)".
  EXPECT_THAT(output->out, HasSubstr("renderer-1"));
  EXPECT_THAT(output->out, HasSubstr(": crashed ("));
  EXPECT_THAT(output->out, HasSubstr("#0 0x")) << output->out;
  EXPECT_THAT(output->out, HasSubstr("All helpers stopped."));
}

class BrowserHostSignalTest : public ::testing::TestWithParam<int> {};

// The demo keeps running with its input open; the signal alone must end it,
// cleanly.
TEST_P(BrowserHostSignalTest, SignalShutsDownCleanly) {
  if (!testing::CanSendGracefulSignals()) {
    GTEST_SKIP() << "this platform cannot send a catchable SIGINT/SIGTERM to "
                    "another process (uv_process_kill terminates it)";
  }
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcess(
      {BROWSER_HOST_PATH}, "", absl::Seconds(30),
      {.marker = "Commands:", .signal = GetParam(), .input = std::nullopt});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->term_signal, 0);
  EXPECT_EQ(output->exit_status, 0) << output->out << output->err;
  EXPECT_THAT(output->out,
              HasSubstr(GetParam() == SIGINT ? "Shutting down (SIGINT)"
                                             : "Shutting down (SIGTERM)"));
  EXPECT_THAT(output->out, HasSubstr("All helpers stopped."));
}

INSTANTIATE_TEST_SUITE_P(Signals, BrowserHostSignalTest,
                         ::testing::Values(SIGINT, SIGTERM));

}  // namespace
}  // namespace bulkhead
