// Runs a program to completion and captures what it printed, for tests of command lines.
#ifndef BULKHEAD_TESTS_SUPPORT_RUN_PROCESS_H_
#define BULKHEAD_TESTS_SUPPORT_RUN_PROCESS_H_

#include <cstdint>
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

// Runs `argv` with `input` on its stdin (then closed). DeadlineExceeded (after killing it) if
// it has not exited within `timeout`.
absl::StatusOr<ProcessOutput> RunProcess(const std::vector<std::string>& argv,
                                         const std::string& input, absl::Duration timeout);

// The path of the running test binary.
std::string SelfPath();

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_RUN_PROCESS_H_
