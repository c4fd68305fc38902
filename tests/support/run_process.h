// Runs a program to completion and captures what it printed, for tests of
// command lines.
#ifndef BULKHEAD_TESTS_SUPPORT_RUN_PROCESS_H_
#define BULKHEAD_TESTS_SUPPORT_RUN_PROCESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bulkhead::testing {

struct ProcessOutput {
  int64_t exit_status = 0;
  int term_signal = 0;
  std::string out;
  std::string err;
};

// Once the process's stdout contains `marker`: writes `input` to its stdin
// (then closes it) if `input` is set, and sends `signal` if it is not 0.
struct SignalOnOutput {
  std::string marker;
  int signal = 0;
  std::optional<std::string> input;
};

// Runs `argv` with `input` on its stdin (closed after it unless
// `signal_on_output` is given: then kept open until its marker is seen).
// DeadlineExceeded (after killing it) if it has not exited within `timeout`.
absl::StatusOr<ProcessOutput> RunProcess(
    const std::vector<std::string>& argv, const std::string& input,
    absl::Duration timeout, const SignalOnOutput& signal_on_output = {});

// Like RunProcess, with several steps taken in order: each waits for its
// marker in stdout after the previous step's marker, then writes its input
// and sends its signal. Stdin stays open until the last step's input has
// been written (or, when the last step has no input, until the end).
absl::StatusOr<ProcessOutput> RunProcessSteps(
    const std::vector<std::string>& argv, const std::string& input,
    absl::Duration timeout, const std::vector<SignalOnOutput>& steps);

// The path of the running test binary.
std::string SelfPath();

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_RUN_PROCESS_H_
