// browser_host: the demo executable, and the model for an app that embeds
// bulkhead. It uses only the public API: RoleRegistry, MaybeRunHelper, Host.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "browser_host/demo.h"
#include "browser_host/sandbox_learn.h"
#include "browser_host/sandbox_report.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/helper_main.h"
#include "helper/roles/builtin_roles.h"

namespace {

constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    R"(Usage: browser_host [--log-level=debug|info|warning|error] [--no-sandbox]
                    [--help] [--version]
       browser_host sandbox-report [--no-sandbox]
       browser_host sandbox-learn --role=<role>

Without a command: starts one helper process per built-in role (renderer,
gpu, utility, network), each a copy of this binary, sends each a piece of
work over its IPC channel, and prints the results and a status table.
Helpers that die are restarted with backoff. Then reads commands from stdin:
  status                       print the status table
  crash <helper> <fault> [n]   inject a fault: segv abort stack_overflow
                               div_zero hang deadlock oom exit bad_message
                               flood fork_bomb
  kill <helper>                kill a helper
  quit                         shut every helper down and exit (also: end of
                               input, Ctrl-C, SIGTERM)

sandbox-report: starts one helper per role, prints for each sandbox layer
whether its policy requires it and whether the helper's own probe finds it
really in force, and stops them. Exit code 1 when a required layer is not.

sandbox-learn: runs the role's sample work with its seccomp filter in
learning mode and prints the system calls it made and a proposed allowlist,
with the difference from the role's preset.

--no-sandbox: launch helpers unconfined. For debugging only; loudly reported.
)";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "browser_host: %s\n\n%s", message.c_str(), kUsage);
  return kExitUsage;
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

  const bulkhead::CommandLine line = bulkhead::CommandLine::Parse(argc, argv);
  bulkhead::SetLogTag("host");
  bool sandbox_helpers = true;
  std::string learn_role;
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
    if (name == "log-level") {
      const std::string level = *line.Get(name);
      if (level == "debug") {
        bulkhead::SetLogLevel(bulkhead::LogLevel::kDebug);
      } else if (level == "info") {
        bulkhead::SetLogLevel(bulkhead::LogLevel::kInfo);
      } else if (level == "warning") {
        bulkhead::SetLogLevel(bulkhead::LogLevel::kWarning);
      } else if (level == "error") {
        bulkhead::SetLogLevel(bulkhead::LogLevel::kError);
      } else {
        return UsageError(absl::StrCat("bad --log-level '", level, "'"));
      }
      continue;
    }
    return UsageError(absl::StrCat("unknown flag --", name));
  }
  if (line.positional().size() == 1 &&
      line.positional().front() == "sandbox-report") {
    return bulkhead::RunSandboxReport(roles, sandbox_helpers, stdout);
  }
  if (line.positional().size() == 1 &&
      line.positional().front() == "sandbox-learn") {
    if (learn_role.empty()) return UsageError("sandbox-learn needs --role=R");
    return bulkhead::RunSandboxLearn(roles, learn_role, stdout);
  }
  if (!line.positional().empty()) {
    return UsageError(
        absl::StrCat("unexpected argument '", line.positional().front(), "'"));
  }
  if (!sandbox_helpers) {
    std::fprintf(stderr,
                 "browser_host: WARNING: --no-sandbox: helpers run UNCONFINED, "
                 "with all of this user's rights. For debugging only.\n");
  }
  std::printf("browser_host %s: starting helpers\n", BULKHEAD_VERSION);
  std::fflush(stdout);
  bulkhead::DemoOptions demo_options;
  demo_options.sandbox_helpers = sandbox_helpers;
  return bulkhead::RunDemo(roles, demo_options, stdout);
}
