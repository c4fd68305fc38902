// Runs a program with its stdout and stderr on a pseudo-terminal of a given
// size, for tests of what a program does on a terminal (escape sequences,
// colours, fitting the width).
#ifndef BULKHEAD_TESTS_SUPPORT_RUN_IN_TERMINAL_H_
#define BULKHEAD_TESTS_SUPPORT_RUN_IN_TERMINAL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bulkhead::testing {

struct TerminalRun {
  std::vector<std::string> argv;
  // Set in the program's environment, over this process's ("" sets a
  // variable empty).
  std::vector<std::pair<std::string, std::string>> env;
  // Removed from the program's environment.
  std::vector<std::string> unset_env;
  // Written to the program's stdin (a pipe), which is then closed.
  std::string input;
  int rows = 24;
  int columns = 80;
};

struct TerminalOutput {
  int64_t exit_status = 0;
  int term_signal = 0;
  // Everything the program wrote to the terminal, stdout and stderr
  // interleaved, as the terminal got it (line ends "\r\n").
  std::string screen;
};

// Runs `run` until it exits. Unimplemented where there are no
// pseudo-terminals (Windows); DeadlineExceeded (after killing it) if it has
// not exited within `timeout`.
absl::StatusOr<TerminalOutput> RunInTerminal(const TerminalRun& run,
                                             absl::Duration timeout);

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_RUN_IN_TERMINAL_H_
