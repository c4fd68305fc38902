// A parsed command line: `--name=value` and `--name` switches plus positional
// arguments. `Parse` never fails (what a switch's value must look like is
// checked by whoever reads it): it reads a helper's command line, which the
// host wrote. A program's own command line, which a person typed, is parsed
// against its `Syntax`, which also takes `--name value` and names what is
// wrong.
#ifndef BULKHEAD_COMMON_COMMAND_LINE_H_
#define BULKHEAD_COMMON_COMMAND_LINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead {

class BULKHEAD_EXPORT CommandLine {
 public:
  // argv[0] is the program. Everything after a bare `--` is positional. A
  // switch given twice keeps its last value (as Chromium's does).
  static CommandLine Parse(int argc, const char* const* argv);
  static CommandLine Parse(const std::vector<std::string>& argv);

  // The switches a program accepts.
  struct Syntax {
    // Switches that take a value: `--name=value` or `--name value`.
    std::vector<std::string> with_value;
    // Switches that take none: `--name`.
    std::vector<std::string> without_value;
    // Single-dash short forms: {"h", "help"} reads `-h` as `--help`.
    std::vector<std::pair<std::string, std::string>> short_forms;
  };
  // Like `Parse`, against `syntax`. In `--name value` the value is the next
  // argument unless that starts with `--`. A lone `-` is positional, as is
  // everything after `--`. InvalidArgument, with a message that names the
  // argument ("unknown flag --x", "--name needs a value", "--name takes no
  // value"), for a switch or single-dash word `syntax` does not know, a switch
  // that takes a value given none (or an empty one), and a value given to one
  // that takes none.
  static absl::StatusOr<CommandLine> Parse(const std::vector<std::string>& argv,
                                           const Syntax& syntax);

  const std::string& program() const { return program_; }
  bool Has(absl::string_view name) const { return switches_.contains(name); }
  // The value of `--name=value`; "" for a bare `--name`; nullopt when absent.
  std::optional<std::string> Get(absl::string_view name) const;
  // `--name=<integer>` within [min, max]. NotFound when absent, InvalidArgument
  // when malformed.
  absl::StatusOr<int64_t> GetInt(absl::string_view name, int64_t min,
                                 int64_t max) const;

  const std::vector<std::string>& positional() const { return positional_; }
  // Switch names in the order first seen, for "unknown flag" checks.
  const std::vector<std::string>& switch_names() const { return order_; }

 private:
  std::string program_;
  absl::flat_hash_map<std::string, std::string> switches_;
  std::vector<std::string> order_;
  std::vector<std::string> positional_;
};

// Joins `argv` into one Windows command line (for CreateProcess) that the C
// runtime's parser splits back into exactly `argv`: arguments with blanks or
// quotes are quoted, backslashes before a quote are escaped. argv[0], the
// program, follows the simpler rule the runtime applies to it (quotes, no
// escapes), so it may not contain `"`. InvalidArgument for that, an empty
// `argv`, or a NUL byte. Portable: only the string is built.
absl::StatusOr<std::string> JoinWindowsCommandLine(
    const std::vector<std::string>& argv);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_COMMAND_LINE_H_
