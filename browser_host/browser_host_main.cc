// browser_host: the demo executable, and the model for an app that embeds
// bulkhead. It uses only the public API: RoleRegistry, MaybeRunHelper, Host.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "browser_host/crash_test/crash_test.h"
#include "browser_host/demo.h"
#include "browser_host/host_config.h"
#include "browser_host/replay_command.h"
#include "browser_host/sandbox_learn.h"
#include "browser_host/sandbox_report.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/helper_main.h"
#include "host/trace_recorder.h"
#include "sample_roles/builtin_roles.h"

namespace {

constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    R"(Usage: browser_host [--config=FILE] [--helpers=ROLE:N,...] [--json-events]
                    [--no-sandbox] [--log-level=debug|info|warning|error]
                    [--trace=FILE]
       browser_host --print-default-config | --help (-h) | --version
       browser_host sandbox-report [--config=FILE] [--no-sandbox]
       browser_host sandbox-learn --role=<role>
       browser_host crash-test [--roles=R,...] [--faults=F,...] [--json=FILE]
                               [--report=FILE.html] [--no-sandbox]
       browser_host replay FILE [--no-sandbox]

Without a command: starts the helpers the config names (by default one per
built-in role: renderer, gpu, utility, network), each a copy of this binary,
sends each a piece of work over its IPC channel, and shows a task manager:
one row per helper, refreshed in place every second on a terminal (appended
when stdout is not one, or with TERM=dumb), while a light workload keeps the
helpers busy.
Helpers that die are restarted as their role's restart policy says. Then
reads commands from stdin, run in order (one for a helper still starting
waits for it, up to 5 s):
  status                       print the task manager table
  crash <helper|role> <fault> [exit code]
                               inject a fault: segv abort stack_overflow
                               div_zero hang deadlock oom exit bad_message
                               flood fork_bomb
  kill <helper>                kill a helper (its role restarts it)
  restart <helper>             stop a helper and start a fresh one
  spawn <role>                 start one more helper of a role
  help                         list the commands
  quit                         shut every helper down and exit (also: end of
                               input, Ctrl-C, SIGTERM)

A flag's value follows '=' or comes as the next argument (--config FILE).
  --config=FILE          the configuration, protobuf text format
                         (bulkhead.config.HostConfig); a bad one is reported
                         with its file, line and column, and exits 2
  --helpers=ROLE:N,...   start N helpers of ROLE (0 to 10000; 0: none of it),
                         over the config's count; a role the config does not
                         list gets its defaults. Past what the descriptor
                         limit fits, launches fail, naming the limit
  --print-default-config print the embedded default configuration
  --json-events          one JSON object per helper lifecycle event on stdout
                         (fields: see browser_host/json_events.h) instead of
                         the table; messages go to stderr
  --log-level=LEVEL      overrides the config's log_level
  --trace=FILE           write a Chrome trace (JSON; open it in
                         ui.perfetto.dev or chrome://tracing) at exit: each
                         helper's states, handshake, calls, faults, exit and
                         restart
  --no-sandbox           launch helpers unconfined. For debugging only; loudly
                         reported

sandbox-report: starts one helper per role, prints for each sandbox layer
whether its policy requires it and whether the helper's own probe finds it
really in force, and stops them. Exit code 1 when a required layer is not.
With --config, each role gets the config's policy, and a role with a
filesystem view also lists each entry (path, ro/rw/tmpfs/dev, in force).

sandbox-learn: runs the role's sample work with its seccomp filter in
learning mode and prints the system calls it made and a proposed allowlist,
with the difference from the role's preset.

crash-test: injects each fault (default: all, and escape) into a fresh helper
of each role (default: all) while a sibling carries load; prints one row per
case (PASS, FAIL, or SKIPPED where this platform cannot observe it), and
writes the results as JSON and as a self-contained HTML report with a
timeline per case. Exit code 1 when a case failed.

replay: reads a repro file (a request a helper died handling, and how it
died), prints what it holds, sends the request to a fresh helper of its role
(sandboxed; with --no-sandbox unconfined, its pid printed, for a debugger)
and prints whether it still dies the same way. Exit code 0 when it does, 1
when it does not, 2 for a file that is not a repro this binary can replay.
The demo's renderer dies on a text "bulkhead-demo-crash:segv" (or abort,
stack_overflow, div_zero, hang, exit), a poison input to try it with.
)";

// The error and where to read more, not the whole usage (as GNU tools do).
int UsageError(absl::string_view message) {
  std::fprintf(stderr,
               "browser_host: %s\n"
               "Try 'browser_host --help' for more information.\n",
               std::string(message).c_str());
  return kExitUsage;
}

// Every flag of every command but crash-test, which parses its own.
const bulkhead::CommandLine::Syntax& Syntax() {
  static const auto* syntax = new bulkhead::CommandLine::Syntax{
      .with_value = {"config", "log-level", "trace", "role", "helpers"},
      .without_value = {"help", "version", "print-default-config",
                        "json-events", "no-sandbox"},
      .short_forms = {{"h", "help"}}};
  return *syntax;
}

// Whether `command` ("" for the demo) reads `flag`. --log-level is every
// command's; --help, --version and --print-default-config end the run first.
bool UsedBy(absl::string_view flag, absl::string_view command) {
  if (command == "sandbox-report") {
    return flag == "no-sandbox" || flag == "config";
  }
  if (command == "replay") return flag == "no-sandbox";
  if (command == "sandbox-learn") return flag == "role";
  return flag == "config" || flag == "json-events" || flag == "no-sandbox" ||
         flag == "trace" || flag == "helpers";
}

}  // namespace

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (absl::Status added = bulkhead::RegisterBuiltinRoles(roles); !added.ok()) {
    std::fprintf(stderr, "browser_host: %s\n", added.ToString().c_str());
    return 1;
  }
  if (auto exit_code = bulkhead::MaybeRunHelper(argc, argv, roles))
    return *exit_code;
  if (argc > 1 && std::string(argv[1]) == "crash-test") {
    bulkhead::SetLogTag("host");
    return bulkhead::RunCrashTestCommand(
        roles, std::vector<std::string>(argv + 2, argv + argc));
  }

  const absl::StatusOr<bulkhead::CommandLine> parsed =
      bulkhead::CommandLine::Parse(std::vector<std::string>(argv, argv + argc),
                                   Syntax());
  if (!parsed.ok()) return UsageError(parsed.status().message());
  const bulkhead::CommandLine& line = *parsed;
  bulkhead::SetLogTag("host");
  bool sandbox_helpers = true;
  std::string learn_role;
  std::optional<bulkhead::LogLevel> log_level;
  std::optional<std::string> config_path;
  std::optional<std::string> helper_counts;
  bulkhead::DemoOptions options;
  for (const std::string& name : line.switch_names()) {
    if (name == "role") {
      learn_role = *line.Get(name);
      continue;
    }
    if (name == "no-sandbox") {
      sandbox_helpers = false;
      continue;
    }
    if (name == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (name == "version") {
      std::printf("browser_host %s\n", BULKHEAD_VERSION);
      return 0;
    }
    if (name == "print-default-config") {
      const absl::string_view text = bulkhead::DefaultHostConfigText();
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
    if (name == "log-level") {
      log_level = bulkhead::ParseLogLevelName(*line.Get(name));
      if (!log_level.has_value()) {
        return UsageError(absl::StrCat("bad --log-level '", *line.Get(name),
                                       "'; one of debug, info, warning, "
                                       "error"));
      }
      continue;
    }
    if (name == "config") {
      config_path = *line.Get(name);
      continue;
    }
    if (name == "trace") {
      options.trace_path = *line.Get(name);
      continue;
    }
    if (name == "helpers") {
      helper_counts = *line.Get(name);
      continue;
    }
    if (name == "json-events") options.json_events = true;
  }
  if (log_level.has_value()) bulkhead::SetLogLevel(*log_level);
  const std::vector<std::string>& positional = line.positional();
  // No command (the demo) is no argument at all: an empty one is refused.
  const std::optional<std::string> command =
      positional.empty() ? std::nullopt
                         : std::optional<std::string>(positional.front());
  if (command == "crash-test") {
    return UsageError(
        "crash-test comes first, its flags after it: browser_host crash-test "
        "[--roles=...] ...");
  }
  if (command.has_value() && command != "sandbox-report" &&
      command != "sandbox-learn" && command != "replay") {
    return UsageError(absl::StrCat("unexpected argument '", *command,
                                   "'; the commands are sandbox-report, "
                                   "sandbox-learn, crash-test and replay"));
  }
  // replay takes its file.
  const size_t arguments = command == "replay" ? 2 : 1;
  if (command == "replay" && positional.size() < 2) {
    return UsageError("replay needs the repro file: browser_host replay FILE");
  }
  if (positional.size() > arguments) {
    return UsageError(
        absl::StrCat("unexpected argument '", positional[arguments], "'"));
  }
  // A flag the command does not read is refused, not ignored.
  for (const std::string& name : line.switch_names()) {
    if (name == "log-level" || UsedBy(name, command.value_or(""))) continue;
    if (name == "role") return UsageError("--role is for sandbox-learn");
    return UsageError(
        absl::StrCat("--", name, " is not for ", command.value_or("the demo")));
  }
  if (command == "sandbox-report") {
    std::optional<bulkhead::HostConfig> report_config;
    if (config_path.has_value()) {
      absl::StatusOr<bulkhead::HostConfig> loaded =
          bulkhead::LoadHostConfigFile(*config_path, roles);
      if (!loaded.ok()) {
        std::fprintf(stderr, "browser_host: %s\n",
                     std::string(loaded.status().message()).c_str());
        return kExitUsage;
      }
      report_config = *std::move(loaded);
    }
    return bulkhead::RunSandboxReport(
        roles, sandbox_helpers, stdout,
        report_config.has_value() ? &*report_config : nullptr);
  }
  if (command == "replay") {
    if (!sandbox_helpers) {
      std::fprintf(stderr,
                   "browser_host: WARNING: --no-sandbox: the replayed helper "
                   "runs UNCONFINED. For debugging only.\n");
    }
    return bulkhead::RunReplayCommand(roles, positional[1], sandbox_helpers,
                                      stdout);
  }
  if (command == "sandbox-learn") {
    if (learn_role.empty()) return UsageError("sandbox-learn needs --role=R");
    return bulkhead::RunSandboxLearn(roles, learn_role, stdout);
  }

  absl::StatusOr<bulkhead::HostConfig> config =
      config_path.has_value()
          ? bulkhead::LoadHostConfigFile(*config_path, roles)
          : bulkhead::ParseHostConfig(bulkhead::DefaultHostConfigText(),
                                      bulkhead::kDefaultConfigName, roles);
  if (!config.ok()) {
    // Nothing has started: a bad config is a usage error.
    std::fprintf(stderr, "browser_host: %s\n",
                 std::string(config.status().message()).c_str());
    return kExitUsage;
  }
  if (helper_counts.has_value()) {
    if (absl::Status applied =
            bulkhead::ApplyHelperCounts(*helper_counts, roles, *config);
        !applied.ok()) {
      return UsageError(applied.message());
    }
  }
  if (!log_level.has_value()) bulkhead::SetLogLevel(config->log_level);
  if (!options.trace_path.empty()) {
    // Found now rather than after a whole run.
    if (absl::Status created = bulkhead::CreateTraceFile(options.trace_path);
        !created.ok()) {
      std::fprintf(stderr, "browser_host: %s\n",
                   std::string(created.message()).c_str());
      return kExitUsage;
    }
  }
  if (!sandbox_helpers) {
    std::fprintf(stderr,
                 "browser_host: WARNING: --no-sandbox: helpers run UNCONFINED, "
                 "with all of this user's rights. For debugging only.\n");
  }
  options.sandbox_helpers = sandbox_helpers;

  // With --json-events stdout carries nothing but events.
  std::FILE* const messages = options.json_events ? stderr : stdout;
  std::fprintf(messages, "browser_host %s: starting helpers\n",
               BULKHEAD_VERSION);
  std::fflush(messages);
  return bulkhead::RunDemo(roles, *config, options, stdout);
}
