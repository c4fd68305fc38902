// libFuzzer target: a command line a user types (browser_host's and
// crash-test's flags), as CommandLine::Parse reads it against a Syntax, and
// the helper-side Parse without one. The input is argv, each argument ended by
// a NUL byte. Parsing never crashes, and what it accepts means what the syntax
// says: only known switches, a value for those that take one and none for
// those that do not, every positional argument in the order given.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/command_line.h"

namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void Check(const std::vector<std::string>& argv,
           const bulkhead::CommandLine::Syntax& syntax) {
  const absl::StatusOr<bulkhead::CommandLine> line =
      bulkhead::CommandLine::Parse(argv, syntax);
  if (!line.ok()) {
    if (line.status().message().empty()) __builtin_trap();  // Says what.
    return;
  }
  for (const std::string& name : line->switch_names()) {
    const std::string value = line->Get(name).value_or("");
    if (Contains(syntax.with_value, name)) {
      if (value.empty()) __builtin_trap();  // A value flag without its value.
    } else if (Contains(syntax.without_value, name)) {
      if (!value.empty()) __builtin_trap();  // A value nobody reads.
    } else {
      __builtin_trap();  // A switch the syntax does not know.
    }
  }
  // Positional arguments are arguments, in their order.
  size_t next = 1;
  for (const std::string& positional : line->positional()) {
    while (next < argv.size() && argv[next] != positional) ++next;
    if (next == argv.size()) __builtin_trap();
    ++next;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> argv = {"browser_host"};
  std::string arg;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      argv.push_back(arg);
      arg.clear();
    } else {
      arg.push_back(static_cast<char>(data[i]));
    }
  }
  if (!arg.empty()) argv.push_back(arg);

  // browser_host's flags (browser_host_main.cc) and crash-test's
  // (crash_test.cc).
  static const auto* const browser_host = new bulkhead::CommandLine::Syntax{
      .with_value = {"config", "log-level", "trace", "role"},
      .without_value = {"help", "version", "print-default-config",
                        "json-events", "no-sandbox"},
      .short_forms = {{"h", "help"}}};
  static const auto* const crash_test = new bulkhead::CommandLine::Syntax{
      .with_value = {"roles", "faults", "json", "report"},
      .without_value = {"help", "no-sandbox"},
      .short_forms = {{"h", "help"}}};
  Check(argv, *browser_host);
  Check(argv, *crash_test);
  // A helper's own command line (the host wrote it): never fails.
  bulkhead::CommandLine::Parse(argv);
  return 0;
}
