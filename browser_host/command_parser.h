// The commands browser_host's demo reads on stdin, parsed from one line.
// Pure: no helpers are touched here (demo_commands.cc carries them out).
#ifndef BULKHEAD_BROWSER_HOST_COMMAND_PARSER_H_
#define BULKHEAD_BROWSER_HOST_COMMAND_PARSER_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead {

struct Command {
  enum class Kind {
    kStatus,
    kCrash,
    kKill,
    kRestart,
    kSpawn,
    kHelp,
    kQuit,
    kMetrics,
  };
  Kind kind = Kind::kHelp;
  // kCrash: a helper ("renderer-1") or a role; kKill, kRestart: a helper (or
  // a role with one helper); kSpawn: a role.
  std::string target;
  // kCrash.
  ipc::FaultKind fault = ipc::FAULT_KIND_UNSPECIFIED;
  int exit_code = 1;  // kCrash with `exit`.
};

// The list of commands, several lines, for `help`.
extern const char kCommandHelp[];

// The longest line that can be a command.
inline constexpr size_t kMaxCommandLineBytes = 1024;

// nullopt for a blank line. InvalidArgument with a one-line hint (no
// newline) for anything else that is not a command, among them every line
// longer than kMaxCommandLineBytes.
absl::StatusOr<std::optional<Command>> ParseCommand(absl::string_view line);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_COMMAND_PARSER_H_
