#include "common/command_line.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace bulkhead {

CommandLine CommandLine::Parse(int argc, const char* const* argv) {
  std::vector<std::string> args;
  args.reserve(argc > 0 ? argc : 0);
  for (int i = 0; i < argc; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  return Parse(args);
}

CommandLine CommandLine::Parse(const std::vector<std::string>& argv) {
  CommandLine line;
  if (argv.empty()) return line;
  line.program_ = argv[0];
  bool only_positional = false;
  for (size_t i = 1; i < argv.size(); ++i) {
    absl::string_view arg = argv[i];
    if (only_positional || !absl::StartsWith(arg, "--") || arg.size() == 2) {
      if (arg == "--" && !only_positional) {
        only_positional = true;
        continue;
      }
      line.positional_.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(2);
    absl::string_view name = arg;
    absl::string_view value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto [it, inserted] =
        line.switches_.insert_or_assign(std::string(name), std::string(value));
    if (inserted) line.order_.push_back(it->first);
  }
  return line;
}

absl::StatusOr<CommandLine> CommandLine::Parse(
    const std::vector<std::string>& argv, const Syntax& syntax) {
  auto contains = [](const std::vector<std::string>& names,
                     absl::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  CommandLine line;
  if (argv.empty()) return line;
  line.program_ = argv[0];
  bool only_positional = false;
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (only_positional || arg == "-" || !absl::StartsWith(arg, "-")) {
      line.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      auto short_form = std::find_if(
          syntax.short_forms.begin(), syntax.short_forms.end(),
          [&](const auto& form) { return arg == "-" + form.first; });
      if (short_form == syntax.short_forms.end()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));
      }
      arg = "--" + short_form->second;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (contains(syntax.without_value, name)) {
      if (value.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value"));
      }
    } else if (contains(syntax.with_value, name)) {
      if (!value.has_value() && i + 1 < argv.size() &&
          !absl::StartsWith(argv[i + 1], "--")) {
        value = argv[++i];
      }
      if (!value.has_value() || value->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    auto [it, inserted] =
        line.switches_.insert_or_assign(name, value.value_or(""));
    if (inserted) line.order_.push_back(it->first);
  }
  return line;
}

std::optional<std::string> CommandLine::Get(absl::string_view name) const {
  auto it = switches_.find(name);
  if (it == switches_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<int64_t> CommandLine::GetInt(absl::string_view name, int64_t min,
                                            int64_t max) const {
  auto it = switches_.find(name);
  if (it == switches_.end()) {
    return absl::NotFoundError(absl::StrCat("missing --", name));
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, "=", it->second,
                                                   ": expected an integer in [",
                                                   min, ", ", max, "]"));
  }
  return value;
}

namespace {

// One argument, quoted as CommandLineToArgvW and the C runtime expect: 2n
// backslashes before a quote become n, 2n+1 become n and a literal quote;
// backslashes elsewhere are literal.
void AppendQuotedArgument(absl::string_view arg, std::string* out) {
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == arg.npos) {
    out->append(arg.data(), arg.size());
    return;
  }
  out->push_back('"');
  size_t backslashes = 0;
  for (const char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    // Backslashes before a quote are doubled, and the quote escaped.
    out->append(c == '"' ? backslashes * 2 + 1 : backslashes, '\\');
    backslashes = 0;
    out->push_back(c);
  }
  // Before the closing quote, backslashes are doubled too.
  out->append(backslashes * 2, '\\');
  out->push_back('"');
}

}  // namespace

absl::StatusOr<std::string> JoinWindowsCommandLine(
    const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command line");
  for (const std::string& arg : argv) {
    if (arg.find('\0') != arg.npos) {
      return absl::InvalidArgumentError(
          "a command line argument contains a NUL byte");
    }
  }
  if (argv[0].empty() || argv[0].find('"') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot be a program path on a Windows command line: '", argv[0], "'"));
  }
  // The program: quoted whole, no escapes (the runtime reads it verbatim up
  // to the closing quote).
  std::string line = absl::StrCat("\"", argv[0], "\"");
  for (size_t i = 1; i < argv.size(); ++i) {
    line.push_back(' ');
    AppendQuotedArgument(argv[i], &line);
  }
  return line;
}

}  // namespace bulkhead
