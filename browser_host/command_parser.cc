#include "browser_host/command_parser.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "helper/diagnostics/fault_injection.h"

namespace bulkhead {

const char kCommandHelp[] =
    "Commands:\n"
    "  status                          print the task manager table\n"
    "  metrics                         print the metrics (OpenMetrics text)\n"
    "  crash <helper|role> <fault> [exit code]\n"
    "                                  inject a fault: segv abort "
    "stack_overflow\n"
    "                                  div_zero hang deadlock oom exit\n"
    "                                  bad_message flood fork_bomb\n"
    "  kill <helper>                   kill a helper (its role restarts it)\n"
    "  restart <helper>                stop a helper and start a fresh one\n"
    "  spawn <role>                    start one more helper of a role\n"
    "  help                            this list\n"
    "  quit                            stop every helper and exit\n"
    "  <helper> is a name from the table (renderer-1); a role (renderer)\n"
    "  names its first ready helper. A command for a helper still starting\n"
    "  waits for it (up to 5 s); the commands after it wait their turn.\n";

namespace {

absl::Status Usage(absl::string_view usage) {
  return absl::InvalidArgumentError(absl::StrCat("usage: ", usage));
}

}  // namespace

absl::StatusOr<std::optional<Command>> ParseCommand(absl::string_view line) {
  if (line.size() > kMaxCommandLineBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a line of more than ", kMaxCommandLineBytes,
                     " bytes is too long for a command; type 'help'"));
  }
  std::vector<std::string> words =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (words.empty()) return std::nullopt;
  Command command;
  const std::string verb = absl::AsciiStrToLower(words[0]);
  const size_t args = words.size() - 1;
  if (verb == "status" || verb == "metrics" || verb == "help" ||
      verb == "quit" || verb == "exit" || verb == "?") {
    if (args != 0) return Usage(verb);
    command.kind = verb == "status"                   ? Command::Kind::kStatus
                   : verb == "metrics"                ? Command::Kind::kMetrics
                   : verb == "quit" || verb == "exit" ? Command::Kind::kQuit
                                                      : Command::Kind::kHelp;
    return command;
  }
  if (verb == "crash") {
    if (args != 2 && args != 3) {
      return Usage("crash <helper|role> <fault> [exit code]");
    }
    command.kind = Command::Kind::kCrash;
    command.target = words[1];
    std::optional<ipc::FaultKind> fault = ParseFaultKind(words[2]);
    if (!fault.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown fault '", words[2],
          "'; one of: segv abort stack_overflow div_zero hang deadlock oom "
          "exit bad_message flood fork_bomb"));
    }
    command.fault = *fault;
    if (args == 3 && !absl::SimpleAtoi(words[3], &command.exit_code)) {
      return absl::InvalidArgumentError(
          absl::StrCat("exit code '", words[3], "' is not a number"));
    }
    return command;
  }
  if (verb == "kill" || verb == "restart" || verb == "spawn") {
    if (args != 1) {
      return Usage(verb == "spawn" ? "spawn <role>"
                                   : absl::StrCat(verb, " <helper>"));
    }
    command.kind = verb == "kill"      ? Command::Kind::kKill
                   : verb == "restart" ? Command::Kind::kRestart
                                       : Command::Kind::kSpawn;
    command.target = words[1];
    return command;
  }
  // Show at most a few characters of garbage back.
  std::string shown = words[0].substr(0, 32);
  for (char& c : shown) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = '?';
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command '", shown, "'; type 'help' for the list"));
}

}  // namespace bulkhead
