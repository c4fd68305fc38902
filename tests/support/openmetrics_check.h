// A checker of the OpenMetrics text format (openmetrics.io, the ABNF of
// OpenMetrics 1.0), line by line, for the tests and the fuzz target of
// host/openmetrics.h. Stricter than a scraper where the writer promises
// more: each family starts with its # TYPE, has at most one # UNIT and one
// # HELP before its samples, and the text ends with "# EOF\n".
#ifndef BULKHEAD_TESTS_SUPPORT_OPENMETRICS_CHECK_H_
#define BULKHEAD_TESTS_SUPPORT_OPENMETRICS_CHECK_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bulkhead::testing {

// One sample as read back: its name, labels (unescaped) and value.
struct OpenMetricsSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// What a well-formed text holds, in order; InvalidArgument naming the line
// (1-based) and the rule it breaks otherwise.
absl::StatusOr<std::vector<OpenMetricsSample>> CheckOpenMetrics(
    absl::string_view text);

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_OPENMETRICS_CHECK_H_
