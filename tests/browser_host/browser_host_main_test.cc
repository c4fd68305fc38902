// The browser_host executable, run for real: flags, and the demo from start to
// clean exit.
#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "browser_host/proto/json_event.pb.h"
#include "common/platform.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sandbox/lockdown.h"
#include "tests/support/process_probe.h"
#include "tests/support/run_in_terminal.h"
#include "tests/support/run_process.h"
#include "tests/support/sanitizer_env.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

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
  for (const char* subcommand : {"sandbox-report", "sandbox-learn",
                                 "crash-test", "--print-default-config"}) {
    EXPECT_THAT(output.out, HasSubstr(subcommand));
  }
}

TEST(BrowserHostMainTest, VersionPrintsTheVersion) {
  testing::ProcessOutput output = RunBrowserHost({"--version"}, "");
  EXPECT_EQ(output.exit_status, 0);
  EXPECT_THAT(output.out, HasSubstr("browser_host 0."));
}

TEST(BrowserHostMainTest, ShortHelpFlagPrintsUsage) {
  testing::ProcessOutput output = RunBrowserHost({"-h"}, "");
  EXPECT_EQ(output.exit_status, 0) << output.err;
  EXPECT_THAT(output.out, HasSubstr("Usage: browser_host"));
  EXPECT_EQ(output.err, "");
}

// The error and a hint, not buried under the whole usage (as GNU tools do:
// "Try '... --help'", exit 2).
TEST(BrowserHostMainTest, UnknownFlagIsAUsageError) {
  testing::ProcessOutput output = RunBrowserHost({"--frobnicate"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_EQ(output.term_signal, 0);
  EXPECT_EQ(output.err,
            "browser_host: unknown flag --frobnicate\n"
            "Try 'browser_host --help' for more information.\n");
  EXPECT_EQ(output.out, "");
}

// Every flag that takes a value takes it as `--flag=value` and as
// `--flag value`.
TEST(BrowserHostMainTest, ValueFlagsTakeTheirValueEitherWay) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"sandbox-learn", "--role=plumber"},
           {"sandbox-learn", "--role", "plumber"},
           {"--role", "plumber", "sandbox-learn"}}) {
    testing::ProcessOutput output = RunBrowserHost(args, "");
    EXPECT_EQ(output.exit_status, 2) << args[1];
    // The role was read: the error is about the role itself.
    EXPECT_THAT(output.err, HasSubstr("unknown role 'plumber'")) << args[1];
  }
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--log-level", "loud"},
                                             {"--log-level=loud"}}) {
    testing::ProcessOutput output = RunBrowserHost(args, "");
    EXPECT_EQ(output.exit_status, 2);
    EXPECT_THAT(output.err, HasSubstr("bad --log-level 'loud'"));
  }
}

TEST(BrowserHostMainTest, AFlagMissingItsValueIsAUsageError) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"sandbox-learn", "--role"},
                                             {"sandbox-learn", "--role="},
                                             {"--config"},
                                             {"--trace", "--json-events"},
                                             {"--log-level"}}) {
    testing::ProcessOutput output = RunBrowserHost(args, "");
    const std::string flag =
        args.size() > 1 && args[0] == "sandbox-learn" ? "--role" : args[0];
    EXPECT_EQ(output.exit_status, 2) << args.back();
    EXPECT_THAT(output.err, HasSubstr(flag + " needs a value")) << args.back();
    EXPECT_THAT(output.err, HasSubstr("Try 'browser_host --help'"));
    EXPECT_THAT(output.out, Not(HasSubstr("starting helpers")));
  }
}

// A switch that takes no value refuses one rather than ignoring it
// (`--json-events=no` turned JSON events on).
TEST(BrowserHostMainTest, AValueForASwitchThatTakesNoneIsAUsageError) {
  testing::ProcessOutput output = RunBrowserHost({"--json-events=no"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("--json-events takes no value"));
  EXPECT_EQ(output.out, "");
}

// An empty argument is not "no command": it is refused like any other stray
// argument (it started the demo).
TEST(BrowserHostMainTest, AnEmptyArgumentIsAUsageError) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{""}, {"--", ""}}) {
    testing::ProcessOutput output = RunBrowserHost(args, "");
    EXPECT_EQ(output.exit_status, 2) << output.out;
    EXPECT_THAT(output.err, HasSubstr("unexpected argument ''"));
    EXPECT_THAT(output.out, Not(HasSubstr("starting helpers")));
  }
}

// A flag the command does not use is refused, not silently ignored
// (`sandbox-report --config=mine.textproto` reported the built-in policies as
// if they were the config's).
TEST(BrowserHostMainTest, AFlagTheCommandDoesNotUseIsAUsageError) {
  const std::string missing = ::testing::TempDir() + "no-such-config";
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"sandbox-report", "--json-events"},
           {"--trace=" + missing, "sandbox-report"},
           {"sandbox-learn", "--role=utility", "--no-sandbox"},
           {"sandbox-learn", "--role=utility", "--config=" + missing}}) {
    testing::ProcessOutput output = RunBrowserHost(args, "");
    const std::string command =
        args[0] == "sandbox-report" || args[0] == "sandbox-learn" ? args[0]
                                                                  : args[1];
    EXPECT_EQ(output.exit_status, 2) << absl::StrJoin(args, " ");
    EXPECT_THAT(output.err, HasSubstr(" is not for " + command))
        << absl::StrJoin(args, " ");
    EXPECT_THAT(output.err, HasSubstr("Try 'browser_host --help'"));
    EXPECT_EQ(output.out, "") << absl::StrJoin(args, " ");
  }
}

// sandbox-report --config reports the policies the config gives the roles:
// a role's filesystem view, entry by entry, from the helper's own probe.
TEST(BrowserHostMainTest, SandboxReportWithAConfigListsTheView) {
  const std::string missing = ::testing::TempDir() + "no-such-config";
  testing::ProcessOutput refused =
      RunBrowserHost({"sandbox-report", "--config", missing}, "");
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_THAT(refused.err, HasSubstr("no-such-config"));
#if defined(BULKHEAD_OS_LINUX)
  const std::string config = ::testing::TempDir() + "view-config.textproto";
  std::ofstream(config) << R"(
    role {
      name: "renderer"
      filesystem { kind: "ro" path: "/etc/hostname" }
      filesystem { kind: "tmpfs" path: "/scratch" size_kb: 64 }
      filesystem { kind: "dev" path: "/dev/null" }
    }
  )";
  testing::ProcessOutput output =
      RunBrowserHost({"sandbox-report", "--config", config}, "");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  EXPECT_THAT(output.out, HasSubstr("FILESYSTEM VIEW"));
  EXPECT_THAT(output.out,
              ::testing::ContainsRegex("/etc/hostname +ro +yes +readable, "
                                       "not writable"));
  EXPECT_THAT(output.out, ::testing::ContainsRegex(
                              "/scratch +tmpfs +yes +writable, capped at "
                              "65536 bytes"));
  EXPECT_THAT(output.out,
              ::testing::ContainsRegex("/dev/null +dev +yes +usable"));
  std::remove(config.c_str());
#endif
}

// ... and each role's broker rules and pre-opened files, beside the view.
TEST(BrowserHostMainTest, SandboxReportWithAConfigListsTheFileAccess) {
  // Paths written with '/', as in a config (Windows takes them too).
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) / "report-files")
          .generic_string();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/model.bin") << "weights";
  const std::string config = dir + "/files-config.textproto";
  std::ofstream(config) << R"(
    role {
      name: "renderer"
      broker { under: ")"
                        << dir << R"(" }
      broker { file: ")" << dir
                        << R"(/out.txt" access: "write" }
      preopen { name: "model" path: ")"
                        << dir << R"(/model.bin" }
    }
    role { name: "gpu" sandbox: "none" broker { file: ")"
                        << dir << R"(/model.bin" } }
  )";
  testing::ProcessOutput output =
      RunBrowserHost({"sandbox-report", "--config", config}, "");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  const size_t renderer = output.out.find("renderer\n");
  const size_t gpu = output.out.find("gpu\n");
  const size_t utility = output.out.find("utility\n");
  ASSERT_NE(renderer, std::string::npos) << output.out;
  ASSERT_NE(gpu, std::string::npos) << output.out;
  ASSERT_NE(utility, std::string::npos) << output.out;
  const std::string renderer_report =
      output.out.substr(renderer, gpu - renderer);
  EXPECT_THAT(renderer_report,
              ::testing::ContainsRegex("BROKER RULE +MATCH +ACCESS"));
  EXPECT_THAT(renderer_report, HasSubstr(dir + " "));
  EXPECT_THAT(renderer_report, ::testing::ContainsRegex("under +read"));
  EXPECT_THAT(renderer_report,
              ::testing::ContainsRegex("/out.txt +file +write"));
  EXPECT_THAT(renderer_report,
              ::testing::ContainsRegex("PRE-OPENED FILE +ACCESS +PATH"));
  EXPECT_THAT(renderer_report,
              ::testing::ContainsRegex("model +read +" + dir + "/model.bin"));
  // Unsandboxed, the role's rules hold all the same.
  const std::string gpu_report = output.out.substr(gpu, utility - gpu);
  EXPECT_THAT(gpu_report, ::testing::ContainsRegex("/model.bin +file +read"));
  EXPECT_THAT(gpu_report, Not(HasSubstr("PRE-OPENED FILE")));
  // A role the config gives no file access shows no such table.
  EXPECT_THAT(output.out.substr(utility), Not(HasSubstr("BROKER RULE")));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
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
  EXPECT_THAT(output.out, HasSubstr("; sandboxed: "));
  EXPECT_THAT(output.out, HasSubstr("IN FORCE"));
  if (sandbox::LockdownAvailable()) {
    // Linux: every required layer of every preset really in force.
    EXPECT_THAT(output.out, HasSubstr("; sandboxed: yes"));
    EXPECT_THAT(output.out, ::testing::Not(HasSubstr("MISSING")));
    // The network each role asked for, as its helper found it in force:
    // none for all but the network role.
    EXPECT_THAT(output.out,
                HasSubstr("network: none; in force: none: own network "
                          "namespace net:["));
    EXPECT_THAT(output.out,
                HasSubstr("network: host; in force: host: the host's network "
                          "namespace"));
  }
  EXPECT_THAT(output.out, HasSubstr("environment: the runtime's only"));
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
  EXPECT_THAT(output.out, HasSubstr("network: host (--no-sandbox); in force: "
                                    "host"));
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

TEST(BrowserHostMainTest, HelpersFlagSetsHowManyOfEachRoleStart) {
  testing::ProcessOutput output = RunBrowserHost(
      {"--helpers=renderer:3,gpu:0,utility:0,network:0"}, "status\n");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  for (const char* name : {"renderer-1", "renderer-2", "renderer-3"}) {
    EXPECT_THAT(output.out, HasSubstr(absl::StrCat("ok    ", name)))
        << output.out;
  }
  EXPECT_THAT(output.out, Not(HasSubstr("renderer-4")));
  for (const char* role : {"gpu-", "utility-", "network-"}) {
    EXPECT_THAT(output.out, Not(HasSubstr(role))) << output.out;
  }
  EXPECT_THAT(output.out, HasSubstr("All helpers stopped."));
}

TEST(BrowserHostMainTest, BadHelpersFlagIsAUsageError) {
  testing::ProcessOutput output = RunBrowserHost({"--helpers=plumber:2"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("--helpers: unknown role 'plumber'"));
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

// The README's scripted example: its shell line "$ (...; echo <command>;
// ...) | ./run.sh" and the output lines it shows below it.
struct ReadmeExample {
  std::vector<std::string> commands;
  std::vector<std::string> output;
};

ReadmeExample ReadmeCrashExample() {
  std::ifstream file(README_PATH, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(file)),
                         std::istreambuf_iterator<char>());
  const std::vector<std::string> lines = absl::StrSplit(text, '\n');
  ReadmeExample example;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (!absl::StartsWith(line, "$ (") ||
        !absl::EndsWith(line, ") | ./run.sh") ||
        line.find("echo crash ") == std::string::npos) {
      continue;
    }
    const std::string script =
        line.substr(3, line.size() - 3 - std::strlen(") | ./run.sh"));
    for (absl::string_view step : absl::StrSplit(script, ';')) {
      step = absl::StripAsciiWhitespace(step);
      if (absl::ConsumePrefix(&step, "echo ")) {
        example.commands.emplace_back(step);
      }
    }
    for (size_t j = i + 1; j < lines.size() && lines[j] != "```"; ++j)
      example.output.push_back(lines[j]);
    break;
  }
  return example;
}

// Digits, whatever they were, as one '#'.
std::string WithoutNumbers(const std::string& text) {
  return std::regex_replace(text, std::regex("[0-9]+"), "#");
}

// The README's example, its commands piped in all at once (without its
// sleeps): a command for a helper still starting waits for it, so the crash
// happens as the README shows, and quit comes after it.
TEST(BrowserHostMainTest, TheReadmesCrashExampleCrashesTheGpuHelper) {
  const ReadmeExample example = ReadmeCrashExample();
  ASSERT_FALSE(example.commands.empty()) << "no such example in README.md";
  EXPECT_EQ(example.commands.back(), "quit");
  std::string input;
  for (const std::string& command : example.commands)
    absl::StrAppend(&input, command, "\n");
  testing::ProcessOutput output = RunBrowserHost({}, input);
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  EXPECT_THAT(output.out, Not(HasSubstr("not ready")));
  EXPECT_THAT(output.out, HasSubstr("injecting abort into gpu-2\n"));
  EXPECT_THAT(output.out, HasSubstr(": crashed ("));
  // The lines the README shows for the crash, numbers aside.
  int checked = 0;
  for (const std::string& line : example.output) {
    if (line.find("injecting") == std::string::npos &&
        line.find("ended after") == std::string::npos) {
      continue;
    }
#ifdef _WIN32
    if (line.find("SIGABRT") != std::string::npos) continue;
#endif
    ++checked;
    EXPECT_THAT(WithoutNumbers(output.out), HasSubstr(WithoutNumbers(line)))
        << output.out;
  }
  EXPECT_GE(checked, 1);
  // Quit came after the crash, not before it.
  EXPECT_LT(output.out.find("injecting abort"),
            output.out.find("Shutting down (quit)"));
}

// Commands keep their order: one that waits for its helper holds back those
// after it, end of input included.
TEST(BrowserHostMainTest, CommandsWaitingForAHelperKeepTheirOrder) {
  testing::ProcessOutput output =
      RunBrowserHost({}, "crash gpu exit 9\nkill renderer\n");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  const std::string& out = output.out;
  const size_t injected = out.find("injecting exit into gpu-2");
  const size_t killed = out.find("killing renderer-1");
  const size_t shutdown = out.find("Shutting down (end of input)");
  ASSERT_NE(injected, std::string::npos) << out;
  ASSERT_NE(killed, std::string::npos) << out;
  ASSERT_NE(shutdown, std::string::npos) << out;
  EXPECT_LT(injected, killed);
  EXPECT_LT(killed, shutdown);
  EXPECT_THAT(out, HasSubstr(": error-exit (code 9)"));
  EXPECT_THAT(out, Not(HasSubstr("FAIL")));
}

// A config file in the test's temporary directory, removed afterwards.
class ConfigFile {
 public:
  ConfigFile(const std::string& name, const std::string& text)
      : path_(::testing::TempDir() + name) {
    std::ofstream file(path_, std::ios::binary);
    file << text;
  }
  ~ConfigFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(BrowserHostMainTest, PrintDefaultConfigPrintsTheEmbeddedFile) {
  testing::ProcessOutput output =
      RunBrowserHost({"--print-default-config"}, "");
  EXPECT_EQ(output.exit_status, 0);
  std::ifstream file(DEFAULT_CONFIG_PATH, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(file)),
                         std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  // Windows' stdout is in text mode: its line ends are CRLF.
  std::string printed = output.out;
  printed.erase(std::remove(printed.begin(), printed.end(), '\r'),
                printed.end());
  EXPECT_EQ(printed, text);
}

// A bad value: exit 2, the file, line and column, and nothing started.
TEST(BrowserHostMainTest, BadConfigValueIsReportedWhereItIs) {
  ConfigFile config("bad_value.textproto",
                    "role { name: \"gpu\" }\nrole {\n  name: \"plumber\"\n}\n");
  testing::ProcessOutput output =
      RunBrowserHost({"--config", config.path()}, "");
  EXPECT_EQ(output.exit_status, 2) << output.out << output.err;
  EXPECT_THAT(output.err,
              HasSubstr(config.path() +
                        ":3:3: role[1].name: expected a role: one of gpu, "
                        "network, renderer, utility, got \"plumber\""));
  EXPECT_THAT(output.out, Not(HasSubstr("starting helpers")));
}

TEST(BrowserHostMainTest, ConfigSyntaxErrorIsReportedWhereItIs) {
  ConfigFile config("bad_syntax.textproto",
                    "role { name: \"gpu\" }\nrole { count: }\n");
  testing::ProcessOutput output =
      RunBrowserHost({"--config=" + config.path()}, "");
  EXPECT_EQ(output.exit_status, 2) << output.out << output.err;
  EXPECT_THAT(output.err, HasSubstr(config.path() + ":2:15: "));
  EXPECT_THAT(output.out, Not(HasSubstr("starting helpers")));
}

TEST(BrowserHostMainTest, BadBackoffAndCountAreConfigErrors) {
  for (const char* text :
       {"role { name: \"gpu\" count: 0 }",
        "role { name: \"gpu\" restart { initial_backoff: \"5s\" "
        "max_backoff: \"1s\" } }"}) {
    ConfigFile config("bad_numbers.textproto", text);
    testing::ProcessOutput output =
        RunBrowserHost({"--config", config.path()}, "");
    EXPECT_EQ(output.exit_status, 2) << text;
    EXPECT_THAT(output.err, HasSubstr(config.path() + ":1:")) << text;
    EXPECT_THAT(output.err, HasSubstr("expected ")) << text;
  }
}

TEST(BrowserHostMainTest, MissingConfigFileIsAConfigError) {
  testing::ProcessOutput output =
      RunBrowserHost({"--config", "/nonexistent/host.textproto"}, "");
  EXPECT_EQ(output.exit_status, 2);
  EXPECT_THAT(output.err, HasSubstr("/nonexistent/host.textproto"));
}

// The config decides which helpers start, and how many.
TEST(BrowserHostMainTest, ConfigChoosesRolesAndCounts) {
  ConfigFile config("two_renderers.textproto",
                    "work_interval: \"50ms\"\n"
                    "role { name: \"renderer\" count: 2 }\n"
                    "role { name: \"network\" sandbox: \"none\" }\n");
  testing::ProcessOutput output =
      RunBrowserHost({"--config", config.path()}, "");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  EXPECT_THAT(output.out, HasSubstr("ok    renderer-1: "));
  EXPECT_THAT(output.out, HasSubstr("ok    renderer-2: "));
  EXPECT_THAT(output.out, HasSubstr("ok    network-3: "));
  EXPECT_THAT(output.out, Not(HasSubstr("gpu")));
  EXPECT_THAT(output.out, HasSubstr("All helpers stopped."));
}

TEST(BrowserHostMainTest, UnknownCommandsGetAHintAndHelpListsCommands) {
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcess(
      {BROWSER_HOST_PATH}, "", absl::Seconds(30),
      {.marker = "Commands:",
       .input = std::string("frobnicate\n\x01\x02\xff garbage\ncrash\n"
                            "kill nobody-9\nspawn plumber\nhelp\nquit\n")});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, 0) << output->out << output->err;
  EXPECT_THAT(output->out,
              HasSubstr("unknown command 'frobnicate'; type 'help' for the "
                        "list\n"));
  EXPECT_THAT(output->out,
              HasSubstr("unknown command '" + std::string(3, '?') + "'"));
  EXPECT_THAT(output->out, HasSubstr("usage: crash <helper|role> <fault>"));
  EXPECT_THAT(output->out, HasSubstr("no helper 'nobody-9'"));
  EXPECT_THAT(output->out,
              HasSubstr("cannot spawn 'plumber': unknown role 'plumber'; one "
                        "of gpu, network, renderer, utility\n"));
  EXPECT_THAT(output->out, HasSubstr("spawn <role>"));
  EXPECT_THAT(output->out, HasSubstr("All helpers stopped."));
}

// spawn, kill and restart, each watched until its new helper has done work;
// then the table shows the restarts and the last exits.
TEST(BrowserHostMainTest, SpawnKillAndRestartCommands) {
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcessSteps(
      {BROWSER_HOST_PATH}, "", absl::Seconds(30),
      {{.marker = "Commands:", .input = "spawn gpu\n"},
       {.marker = "ok    gpu-5: ", .input = "kill utility\n"},
       {.marker = "ok    utility-6: ", .input = "restart network-4\n"},
       {.marker = "ok    network-7: ", .input = "status\nquit\n"}});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, 0) << output->out << output->err;
  const std::string& out = output->out;
  EXPECT_THAT(out, HasSubstr("spawning a gpu helper"));
  EXPECT_THAT(out, HasSubstr("started gpu-5 (pid "));
  EXPECT_THAT(out, HasSubstr("killing utility-3"));
  EXPECT_THAT(out, HasSubstr("utility-3 (pid "));
  EXPECT_THAT(out, HasSubstr(": killed-by-host"));
  EXPECT_THAT(out, HasSubstr("restarting network-4"));
  EXPECT_THAT(out, HasSubstr("started network-7 (pid "));
  // The last table: one row per helper, the killed role's restart counted.
  const size_t last_table = out.rfind("HELPER ");
  ASSERT_NE(last_table, std::string::npos);
  const std::vector<std::string> lines =
      absl::StrSplit(out.substr(last_table), '\n');
  std::map<std::string, std::string> rows;  // By helper name.
  for (const std::string& line : lines) {
    const size_t space = line.find(' ');
    if (space != std::string::npos) rows[line.substr(0, space)] = line;
  }
  for (const char* helper :
       {"renderer-1", "gpu-2", "gpu-5", "utility-6", "network-7"}) {
    EXPECT_TRUE(rows.contains(helper)) << helper << " in " << out;
  }
  EXPECT_FALSE(rows.contains("utility-3"));
  EXPECT_THAT(rows["utility-6"], HasSubstr("killed-by-host"));
  // The restarted helper was stopped on request while the host ran on: not a
  // host shutdown (LAST EXIT is how the role's previous helper ended).
  EXPECT_THAT(rows["network-7"],
              HasSubstr("stopped-by-host: restart requested"));
  const size_t restarted = out.find("network-4 (pid ");
  ASSERT_NE(restarted, std::string::npos) << out;
  const std::string line =
      out.substr(restarted, out.find('\n', restarted) - restarted);
  EXPECT_THAT(line, HasSubstr(": stopped-by-host: restart requested")) << out;
}

// `crash utility oom` in the demo as shipped: the default config gives the
// utility role a memory limit, so the fault ends it at that limit, reported as
// out-of-memory (not hung after the heartbeat's deadline).
TEST(BrowserHostMainTest, CrashUtilityOomIsOutOfMemory) {
  if (testing::SanitizerReservesAddressSpace()) {
    GTEST_SKIP() << "a sanitizer build cannot cap the helper's address space";
  }
  if (testing::RunningUnderWine()) {
    GTEST_SKIP() << "Wine does not enforce job memory limits";
  }
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcessSteps(
      {BROWSER_HOST_PATH}, "", absl::Seconds(30),
      {{.marker = "Commands:", .input = "crash utility oom\n"},
       {.marker = "utility-3 (pid ", .input = "quit\n"}});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, 0) << output->out << output->err;
  const std::string& out = output->out;
  const size_t ended = out.find("utility-3 (pid ");
  ASSERT_NE(ended, std::string::npos) << out;
  const std::string line = out.substr(ended, out.find('\n', ended) - ended);
  EXPECT_THAT(line, HasSubstr(": out-of-memory")) << out;
}

// Each stdout line of --json-events, parsed as a JSON object.
std::vector<google::protobuf::Struct> JsonLines(const std::string& out) {
  std::vector<google::protobuf::Struct> objects;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    google::protobuf::Struct object;
    const auto status =
        google::protobuf::util::JsonStringToMessage(std::string(line), &object);
    EXPECT_TRUE(status.ok()) << status.ToString() << ": " << line;
    // Strictly as its schema too.
    output::JsonEvent typed;
    const auto strict =
        google::protobuf::util::JsonStringToMessage(std::string(line), &typed);
    EXPECT_TRUE(strict.ok()) << strict.ToString() << ": " << line;
    for (const char* field : {"event", "time", "role"}) {
      EXPECT_TRUE(object.fields().contains(field)) << field << ": " << line;
    }
    objects.push_back(std::move(object));
  }
  return objects;
}

std::string Field(const google::protobuf::Struct& object, const char* name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? "" : it->second.string_value();
}

TEST(BrowserHostMainTest, JsonEventsAreOneObjectPerLine) {
  testing::ProcessOutput output = RunBrowserHost({"--json-events"}, "");
  EXPECT_EQ(output.exit_status, 0) << output.out << output.err;
  // Everything for humans went to stderr.
  EXPECT_THAT(output.err, HasSubstr("All helpers stopped."));
  EXPECT_THAT(output.out, Not(HasSubstr("HELPER")));
  std::map<std::string, std::vector<std::string>> stages;  // By helper.
  for (const google::protobuf::Struct& object : JsonLines(output.out)) {
    ASSERT_EQ(Field(object, "event"), "lifecycle");
    const std::string helper = Field(object, "helper");
    stages[helper].push_back(Field(object, "stage"));
    EXPECT_EQ(object.fields().at("helper_id").kind_case(),
              google::protobuf::Value::kNumberValue);
    if (Field(object, "stage") == "exited") {
      EXPECT_EQ(Field(object, "reason"), "host-shutdown");
      EXPECT_GT(object.fields().at("pid").number_value(), 0);
      EXPECT_TRUE(object.fields().contains("uptime_ms"));
    }
  }
  ASSERT_EQ(stages.size(), 4u) << output.out;
  for (const auto& [helper, seen] : stages) {
    EXPECT_THAT(
        seen, ElementsAre("launching", "started", "ready", "exiting", "exited"))
        << helper;
  }
}

TEST(BrowserHostMainTest, JsonEventsReportACrashAndTheRestart) {
  const std::string ready = "\"stage\":\"ready\"";
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcessSteps(
      {BROWSER_HOST_PATH, "--json-events"}, "", absl::Seconds(30),
      {{.marker = ready, .input = std::nullopt},
       {.marker = ready, .input = std::nullopt},
       {.marker = ready, .input = std::nullopt},
       {.marker = ready, .input = "crash renderer-1 abort\n"},
       {.marker = "\"stage\":\"ready\",\"helper\":\"renderer-5\"",
        .input = "quit\n"}});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->term_signal, 0);
  bool crashed = false, restart_scheduled = false;
  for (const google::protobuf::Struct& object : JsonLines(output->out)) {
    if (Field(object, "helper") != "renderer-1") continue;
    crashed |= Field(object, "stage") == "exited" &&
               Field(object, "reason") == "crashed";
    restart_scheduled |= Field(object, "event") == "restart_scheduled";
  }
  EXPECT_TRUE(crashed) << output->out;
  EXPECT_TRUE(restart_scheduled) << output->out;
  EXPECT_THAT(output->err, HasSubstr("All helpers stopped."));
}

// The demo on a terminal, its input closed at once: it draws the table in
// place (ANSI sequences), finishes its first round and exits.
absl::StatusOr<testing::TerminalOutput> RunDemoInTerminal(
    std::vector<std::pair<std::string, std::string>> env, int columns = 80) {
  return testing::RunInTerminal({.argv = {BROWSER_HOST_PATH},
                                 .env = std::move(env),
                                 .unset_env = {},
                                 .input = "",
                                 .rows = 24,
                                 .columns = columns},
                                absl::Seconds(30));
}

// TERM=dumb: the terminal takes no escape sequences, so none are sent (no
// cursor moves, no scroll region, no clearing); tables are appended.
TEST(BrowserHostTerminalTest, ADumbTerminalGetsNoEscapeSequences) {
  absl::StatusOr<testing::TerminalOutput> xterm =
      RunDemoInTerminal({{"TERM", "xterm"}});
  if (absl::IsUnimplemented(xterm.status())) GTEST_SKIP() << xterm.status();
  ASSERT_TRUE(xterm.ok()) << xterm.status();
  EXPECT_EQ(xterm->exit_status, 0) << xterm->screen;
  // The harness is a terminal: the live table is drawn there.
  EXPECT_THAT(xterm->screen, HasSubstr("\x1b["));

  absl::StatusOr<testing::TerminalOutput> dumb =
      RunDemoInTerminal({{"TERM", "dumb"}});
  ASSERT_TRUE(dumb.ok()) << dumb.status();
  EXPECT_EQ(dumb->exit_status, 0) << dumb->screen;
  EXPECT_THAT(dumb->screen, Not(HasSubstr("\x1b")));
  EXPECT_THAT(dumb->screen, HasSubstr("HELPER"));
  EXPECT_THAT(dumb->screen, HasSubstr("All helpers stopped."));
}

// The lines the live table drew on the screen, the last drawing of each row.
std::map<int, std::string> DrawnLines(const std::string& screen) {
  std::map<int, std::string> lines;
  static const std::regex kDraw("\x1b\\[([0-9]+);1H([^\x1b]*)\x1b\\[K");
  for (auto it = std::sregex_iterator(screen.begin(), screen.end(), kDraw);
       it != std::sregex_iterator(); ++it) {
    lines[std::stoi((*it)[1])] = (*it)[2];
  }
  return lines;
}

// On an 80-column terminal the live table fits: no line is cut, so every
// column is there, the widest ones shortened with a visible '>'.
TEST(BrowserHostTerminalTest, TheLiveTableFitsEightyColumns) {
  absl::StatusOr<testing::TerminalOutput> output =
      RunDemoInTerminal({{"TERM", "xterm"}}, 80);
  if (absl::IsUnimplemented(output.status())) GTEST_SKIP() << output.status();
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, 0) << output->screen;
  const std::map<int, std::string> lines = DrawnLines(output->screen);
  ASSERT_TRUE(lines.contains(2)) << output->screen;
  const std::string& header = lines.at(2);
  EXPECT_THAT(header, StartsWith("HELPER"));
  // Every column is there, the last one whole (the header may be exactly 80
  // wide when the widths of the moment add up to that). Which lines are
  // shortened, and how, is status_table_test's: here, none is wider than the
  // screen.
  EXPECT_THAT(header, EndsWith("LAST EXIT")) << header;
  for (const auto& [row, line] : lines) EXPECT_LE(line.size(), 80u) << line;
  // One row per helper, its name whole (commands take it).
  std::set<std::string> names;
  for (const auto& [row, line] : lines)
    names.insert(line.substr(0, line.find(' ')));
  for (const char* helper : {"renderer-1", "gpu-2", "utility-3", "network-4"})
    EXPECT_TRUE(names.contains(helper)) << helper << " in " << output->screen;
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

// A deadlocked helper ignores Shutdown, so the clean shutdown waits for its
// grace period; a second SIGINT cuts that short.
TEST(BrowserHostMainTest, SecondSigintForcesExit) {
  if (!testing::CanSendGracefulSignals()) {
    GTEST_SKIP() << "this platform cannot send a catchable SIGINT to "
                    "another process (uv_process_kill terminates it)";
  }
  absl::StatusOr<testing::ProcessOutput> output =
      testing::RunProcessSteps({BROWSER_HOST_PATH}, "", absl::Seconds(30),
                               {{.marker = "Commands:",
                                 .signal = 0,
                                 .input = "crash renderer deadlock\n"},
                                {.marker = "injecting deadlock into",
                                 .signal = SIGINT,
                                 .input = std::nullopt},
                                {.marker = "Shutting down (SIGINT)",
                                 .signal = SIGINT,
                                 .input = std::nullopt}});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->term_signal, 0);
  EXPECT_EQ(output->exit_status, 130) << output->out << output->err;
  EXPECT_THAT(output->out, HasSubstr("Second SIGINT: forcing exit"));
  EXPECT_THAT(output->out, Not(HasSubstr("All helpers stopped.")));
}

}  // namespace
}  // namespace bulkhead
