#include "tests/support/run_in_terminal.h"

namespace bulkhead::testing {

absl::StatusOr<TerminalOutput> RunInTerminal(const TerminalRun&,
                                             absl::Duration) {
  return absl::UnimplementedError("no pseudo-terminals on Windows");
}

}  // namespace bulkhead::testing
