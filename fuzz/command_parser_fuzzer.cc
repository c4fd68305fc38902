// libFuzzer target: a line the user types into browser_host's demo. Parsing
// must never crash, and every refusal is one line (the console prints it as
// one).
#include <cstddef>
#include <cstdint>

#include "browser_host/command_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::StatusOr<std::optional<bulkhead::Command>> command =
      bulkhead::ParseCommand(
          absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!command.ok()) {
    if (command.status().message().find('\n') != absl::string_view::npos) {
      __builtin_trap();  // The hint must be one line.
    }
    return 0;
  }
  if (command->has_value() &&
      (*command)->kind == bulkhead::Command::Kind::kCrash &&
      !bulkhead::ipc::FaultKind_IsValid((*command)->fault)) {
    __builtin_trap();  // A crash command names a fault that exists.
  }
  return 0;
}
