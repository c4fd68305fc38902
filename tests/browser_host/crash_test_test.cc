// `browser_host crash-test` run for real on a small matrix: its exit code,
// the JSON read as its schema and its figures checked against each other, the
// version and start in both reports; and its usage errors.
#include "browser_host/crash_test/crash_test.h"

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "browser_host/crash_test/crash_test_internal.h"
#include "browser_host/proto/crash_test_report.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/file_contents.h"
#include "tests/support/process_probe.h"
#include "tests/support/run_in_terminal.h"
#include "tests/support/run_process.h"

namespace bulkhead {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::testing::HasSubstr;
using ::testing::Not;

testing::ProcessOutput RunBrowserHost(std::vector<std::string> args) {
  args.insert(args.begin(), BROWSER_HOST_PATH);
  absl::StatusOr<testing::ProcessOutput> output =
      testing::RunProcess(args, "", absl::Seconds(50));
  EXPECT_TRUE(output.ok()) << output.status();
  return output.ok() ? *output : testing::ProcessOutput{};
}

const Value& Get(const Struct& object, const char* name) {
  static const Value* const kMissing = new Value;
  auto found = object.fields().find(name);
  EXPECT_TRUE(found != object.fields().end()) << "no field " << name;
  return found != object.fields().end() ? found->second : *kMissing;
}

double Number(const Struct& object, const char* name) {
  const Value& value = Get(object, name);
  EXPECT_EQ(value.kind_case(), Value::kNumberValue) << name;
  return value.number_value();
}

// One PASS case's figures, against each other.
void ExpectConsistent(const Struct& result) {
  SCOPED_TRACE(absl::StrCat(Get(result, "role").string_value(), " x ",
                            Get(result, "fault").string_value()));
  const double duration = Number(result, "duration_ms");
  const double fault = Number(result, "fault_ms");
  const double detected = Number(result, "detected_ms");
  const double ready = Number(result, "replacement_ready_ms");
  const double latency = Number(result, "detection_latency_ms");
  EXPECT_GE(latency, 0);
  EXPECT_LT(latency, duration);
  EXPECT_NEAR(latency, detected - fault, 0.01);
  EXPECT_GT(fault, 0);
  EXPECT_GE(ready, detected);  // The replacement comes after the detection.
  EXPECT_LT(ready, duration);
  EXPECT_NEAR(Number(result, "replacement_latency_ms"), ready - fault, 0.01);
  EXPECT_TRUE(Get(result, "host_stayed_up").bool_value());
  const auto& siblings = Get(result, "siblings").list_value().values();
  ASSERT_EQ(siblings.size(), 1);
  const Struct& sibling = siblings[0].struct_value();
  EXPECT_GE(Number(sibling, "calls"), 1);  // It was asked during the fault.
  EXPECT_EQ(Number(sibling, "failures"), 0);
  EXPECT_GE(Number(sibling, "worst_latency_ms"), 0);
  // Lifetimes: the victim was Ready before the fault and had exited when
  // the host reported it; its replacement was Ready when it was counted.
  int victims = 0;
  int replacements = 0;
  for (const Value& item : Get(result, "helpers").list_value().values()) {
    const Struct& helper = item.struct_value();
    const bool victim = Get(helper, "victim").bool_value();
    const double started = Number(helper, "started_ms");
    EXPECT_GE(started, 0);
    if (victim) {
      ++victims;
      EXPECT_LE(Number(helper, "ready_ms"), fault);
      EXPECT_LE(Number(helper, "exited_ms"), detected);
      EXPECT_GE(Number(helper, "exited_ms"), fault);
    } else if (Get(helper, "role").string_value() ==
               Get(result, "role").string_value()) {
      ++replacements;
      EXPECT_GE(started, fault);
      EXPECT_LE(Number(helper, "ready_ms"), ready);
    }
  }
  EXPECT_EQ(victims, 1);
  EXPECT_EQ(replacements, 1);
}

TEST(CrashTestCommandTest, SmallMatrixPassesWithConsistentFigures) {
  const std::string json_path =
      absl::StrCat(::testing::TempDir(), "/crash_test_test.json");
  const std::string html_path =
      absl::StrCat(::testing::TempDir(), "/crash_test_test.html");
  std::remove(json_path.c_str());
  std::remove(html_path.c_str());
  testing::ProcessOutput output = RunBrowserHost(
      {"crash-test", "--roles", "renderer", "--faults", "segv,exit,hang",
       "--json", json_path, "--report=" + html_path});
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  EXPECT_THAT(output.out, HasSubstr("3 passed, 0 failed, 0 skipped"));
  EXPECT_THAT(output.out, Not(HasSubstr("\x1b[")));  // Not a terminal.

  Struct report;
  const std::string json = testing::FileContents(json_path);
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(json, &report);
  ASSERT_TRUE(parsed.ok()) << parsed.ToString();
  // Strictly as its schema too.
  output::CrashTestReport typed;
  const auto strict = google::protobuf::util::JsonStringToMessage(json, &typed);
  ASSERT_TRUE(strict.ok()) << strict.ToString() << ": " << json;
  EXPECT_EQ(typed.bulkhead_version(), BULKHEAD_VERSION);
  absl::Time started;
  std::string error;
  ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", typed.started_at(),
                              absl::UTCTimeZone(), &started, &error))
      << typed.started_at() << ": " << error;
  EXPECT_LE(absl::AbsDuration(absl::Now() - started), absl::Minutes(5));
  EXPECT_EQ(Number(report, "passed"), 3);
  EXPECT_EQ(Number(report, "failed"), 0);
  const auto& cases = Get(report, "cases").list_value().values();
  ASSERT_EQ(cases.size(), 3);
  std::map<std::string, std::string> observed;
  for (const Value& item : cases) {
    const Struct& result = item.struct_value();
    EXPECT_EQ(Get(result, "verdict").string_value(), "PASS")
        << Get(result, "reason").string_value();
    EXPECT_EQ(Get(result, "role").string_value(), "renderer");
    ExpectConsistent(result);
    observed[Get(result, "fault").string_value()] =
        Get(result, "observed").string_value();
  }
  EXPECT_THAT(observed["segv"], HasSubstr("crashed"));
  EXPECT_THAT(observed["exit"], HasSubstr("error-exit (code 42)"));
  EXPECT_THAT(observed["hang"], HasSubstr("hung"));

  const std::string html = testing::FileContents(html_path);
  EXPECT_THAT(html, HasSubstr("<table class=\"matrix\" id=\"matrix\">"));
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr(absl::StrCat("bulkhead <span id=\"version\">",
                                           BULKHEAD_VERSION, "</span>")));
  EXPECT_THAT(html, HasSubstr(absl::StrCat("<time id=\"started\" datetime=\"",
                                           typed.started_at(), "\">")));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));  // Nothing fetched.
  EXPECT_THAT(html, Not(HasSubstr("href=\"http")));
}

// Ctrl-C ends the running case and the run, and still writes the report.
TEST(CrashTestCommandTest, SigintStopsTheRunAndWritesTheReport) {
  if (!testing::CanSendGracefulSignals()) {
    GTEST_SKIP() << "this platform cannot send a catchable SIGINT to "
                    "another process (uv_process_kill terminates it)";
  }
  const std::string json_path =
      absl::StrCat(::testing::TempDir(), "/crash_test_sigint.json");
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcess(
      {BROWSER_HOST_PATH, "crash-test", "--roles=renderer,gpu",
       "--faults=hang,deadlock", "--json=" + json_path},
      "", absl::Seconds(40),
      {.marker = "ROLE", .signal = SIGINT, .input = std::nullopt});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->term_signal, 0);
  EXPECT_EQ(output->exit_status, 130) << output->out << output->err;
  EXPECT_THAT(output->out, HasSubstr("interrupted (SIGINT)"));
  Struct report;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  testing::FileContents(json_path), &report)
                  .ok());
  // At most the case that was running (the signal may also come before the
  // first case starts); no case after it ran.
  EXPECT_LE(Get(report, "cases").list_value().values_size(), 1);
}

TEST(CrashTestCommandTest, UnknownRoleIsAUsageErrorNamingTheValidOnes) {
  testing::ProcessOutput output =
      RunBrowserHost({"crash-test", "--roles=renderer,plumber"});
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("unknown role 'plumber'; valid: renderer, "
                                    "gpu, utility, network"));
  EXPECT_EQ(output.out, "");  // Nothing ran.
}

TEST(CrashTestCommandTest, UnknownFaultIsAUsageErrorNamingTheValidOnes) {
  testing::ProcessOutput output =
      RunBrowserHost({"crash-test", "--faults", "explode"});
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("unknown fault 'explode'; valid: segv, "));
  EXPECT_THAT(output.err, HasSubstr("fork_bomb, escape"));
}

TEST(CrashTestCommandTest, BadFlagsAreUsageErrors) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"crash-test", "--frobnicate"},
                                             {"crash-test", "--json"},
                                             {"crash-test", "--roles="},
                                             {"crash-test", "stray"}}) {
    testing::ProcessOutput output = RunBrowserHost(args);
    EXPECT_EQ(output.exit_status, 2) << args.back();
    EXPECT_THAT(output.err, HasSubstr("browser_host crash-test: "));
    EXPECT_THAT(output.err,
                HasSubstr("Try 'browser_host crash-test --help' for more "
                          "information."))
        << args.back();
  }
}

TEST(CrashTestCommandTest, AnUnwritableReportIsAUsageErrorBeforeAnythingRuns) {
  for (const std::string& flag :
       {std::string("--json=/nonexistent/dir/report.json"),
        std::string("--report=/nonexistent/dir/report.html")}) {
    testing::ProcessOutput output =
        RunBrowserHost({"crash-test", "--faults=segv", flag});
    EXPECT_EQ(output.exit_status, 2) << flag;
    EXPECT_THAT(output.err, HasSubstr("cannot write /nonexistent/dir/report."))
        << flag;
    EXPECT_EQ(output.out, "") << flag;  // Nothing ran.
  }
}

// PASS in green on a terminal that takes ANSI sequences; no escapes at all
// with NO_COLOR set or on a dumb terminal (TERM=dumb).
TEST(CrashTestCommandTest, ColoursOnlyOnATerminalThatTakesThem) {
  auto run = [](std::vector<std::pair<std::string, std::string>> env) {
    return testing::RunInTerminal(
        {.argv = {BROWSER_HOST_PATH, "crash-test", "--roles=renderer",
                  "--faults=exit"},
         .env = std::move(env),
         .unset_env = {"NO_COLOR"},
         .input = "",
         .rows = 24,
         .columns = 80},
        absl::Seconds(50));
  };
  absl::StatusOr<testing::TerminalOutput> xterm = run({{"TERM", "xterm"}});
  if (absl::IsUnimplemented(xterm.status())) GTEST_SKIP() << xterm.status();
  ASSERT_TRUE(xterm.ok()) << xterm.status();
  EXPECT_EQ(xterm->exit_status, 0) << xterm->screen;
  EXPECT_THAT(xterm->screen, HasSubstr("\x1b[32mPASS\x1b[0m"));
  for (const auto& env :
       std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"TERM", "xterm"}, {"NO_COLOR", "1"}}, {{"TERM", "dumb"}}}) {
    absl::StatusOr<testing::TerminalOutput> plain = run(env);
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_EQ(plain->exit_status, 0) << plain->screen;
    EXPECT_THAT(plain->screen, HasSubstr("PASS"));
    EXPECT_THAT(plain->screen, Not(HasSubstr("\x1b"))) << env.back().first;
  }
}

TEST(CrashTestCommandTest, HelpDescribesTheExitCodes) {
  testing::ProcessOutput output = RunBrowserHost({"crash-test", "--help"});
  EXPECT_EQ(output.exit_status, 0);
  EXPECT_THAT(output.out, HasSubstr("Usage: browser_host crash-test"));
  EXPECT_THAT(output.out, HasSubstr("SKIPPED"));
}

// The escape case aims the view's attempts at the victim's own view.
TEST(CrashTestTest, TheEscapeCaseAimsAtTheVictimsView) {
  using Kind = sandbox::FilesystemEntry::Kind;
  const std::string dir = ::testing::TempDir();
  ipc::EscapeTargets targets;
  FillViewTargets({{Kind::kReadOnly, "/dev/null", 0},  // Not a directory.
                   {Kind::kReadOnly, "/", 0},
                   {Kind::kReadWrite, "/tmp", 0},
                   {Kind::kTmpfs, "/scratch", 4096}},
                  targets);
  EXPECT_EQ(targets.view_ro_dir(), "/");
  EXPECT_EQ(targets.view_rw_dir(), "/tmp");
  EXPECT_EQ(targets.view_tmpfs_dir(), "/scratch");
  EXPECT_EQ(targets.view_tmpfs_bytes(), 4096u);
  EXPECT_EQ(targets.view_outside_file(), "");  // "/" holds /etc/passwd.

  ipc::EscapeTargets outside;
  FillViewTargets({{Kind::kReadOnly, "/usr", 0}}, outside);
  EXPECT_EQ(outside.view_ro_dir(), "/usr");
  EXPECT_EQ(outside.view_outside_file(), "/etc/passwd");

  // Without a read-only directory the suite leaves the view out.
  ipc::EscapeTargets none;
  FillViewTargets({{Kind::kTmpfs, "/scratch", 4096}}, none);
  EXPECT_EQ(none.view_ro_dir(), "");
  EXPECT_EQ(none.view_tmpfs_dir(), "");
}

TEST(CrashTestTest, TheMatrixCoversEveryFaultAndEscape) {
  EXPECT_THAT(
      CrashTestFaults(),
      ::testing::ElementsAre("segv", "abort", "stack_overflow", "div_zero",
                             "hang", "deadlock", "oom", "exit", "bad_message",
                             "flood", "fork_bomb", "escape"));
  EXPECT_THAT(CrashTestRoles(),
              ::testing::ElementsAre("renderer", "gpu", "utility", "network"));
}

}  // namespace
}  // namespace bulkhead
