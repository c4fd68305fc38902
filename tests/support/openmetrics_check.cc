#include "tests/support/openmetrics_check.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/utf8.h"

namespace bulkhead::testing {

namespace {

bool IsMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = absl::ascii_isalpha(c) || c == '_' || c == ':' ||
                    (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsLabelName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok =
        absl::ascii_isalpha(c) || c == '_' || (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

// Reads an escaped-string from the front of `rest` up to (not including) a
// `"` or the end; false on a bad escape or a raw line feed.
bool ReadEscaped(absl::string_view& rest, std::string& out, bool quoted) {
  while (!rest.empty()) {
    const char c = rest.front();
    if (c == '"') {
      if (quoted) return true;
      return false;  // DQUOTE is not a normal-char.
    }
    if (c == '\n') return false;
    if (c == '\\') {
      if (rest.size() < 2) return false;
      switch (rest[1]) {
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case 'n':
          out += '\n';
          break;
        default:
          return false;
      }
      rest.remove_prefix(2);
      continue;
    }
    out += c;
    rest.remove_prefix(1);
  }
  return !quoted;  // A quoted string must end with its quote.
}

// The ABNF's number: a real number, [+-]Inf(inity) or NaN.
bool ParseNumber(absl::string_view text, double& value) {
  if (text.empty()) return false;
  const std::string lower = absl::AsciiStrToLower(text);
  absl::string_view body = lower;
  const bool negative = absl::ConsumePrefix(&body, "-");
  if (!negative) absl::ConsumePrefix(&body, "+");
  if (body == "inf" || body == "infinity") {
    value = negative ? -INFINITY : INFINITY;
    return true;
  }
  if (lower == "nan") {
    value = NAN;
    return true;
  }
  // 1*DIGIT ["." *DIGIT] / "." 1*DIGIT, then [("e"/"E") ["+"/"-"] 1*DIGIT].
  size_t i = 0;
  size_t digits = 0;
  while (i < body.size() && absl::ascii_isdigit(body[i])) ++i, ++digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && absl::ascii_isdigit(body[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < body.size() && body[i] == 'e') {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    size_t exponent = 0;
    while (i < body.size() && absl::ascii_isdigit(body[i])) ++i, ++exponent;
    if (exponent == 0) return false;
  }
  if (i != body.size()) return false;
  value = std::strtod(std::string(text).c_str(), nullptr);
  return true;
}

struct Family {
  std::string name;
  std::string type;
  bool unit = false;
  bool help = false;
  bool sampled = false;
  std::set<std::string> series = {};
};

// The suffixes a sample of `type` may add to its family's name.
std::vector<std::string> Suffixes(const std::string& type) {
  if (type == "counter") return {"_total", "_created"};
  if (type == "info") return {"_info"};
  if (type == "summary") return {"", "_sum", "_count", "_created"};
  if (type == "histogram") {
    return {"_bucket", "_sum", "_count", "_created"};
  }
  if (type == "gaugehistogram") return {"_bucket", "_gsum", "_gcount"};
  return {""};  // gauge, stateset, unknown.
}

}  // namespace

absl::StatusOr<std::vector<OpenMetricsSample>> CheckOpenMetrics(
    absl::string_view text) {
  if (FindInvalidUtf8(text) != absl::string_view::npos) {
    return absl::InvalidArgumentError("not valid UTF-8");
  }
  if (!absl::EndsWith(text, "# EOF\n")) {
    return absl::InvalidArgumentError("does not end with \"# EOF\\n\"");
  }
  text.remove_suffix(1);
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  std::vector<OpenMetricsSample> samples;
  std::set<std::string> families_seen;
  Family family;
  for (size_t n = 0; n < lines.size(); ++n) {
    const absl::string_view line = lines[n];
    auto bad = [n, line](absl::string_view rule) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", n + 1, ": ", rule, ": ", line));
    };
    if (line == "# EOF") {
      if (n + 1 != lines.size()) return bad("# EOF before the end");
      return samples;
    }
    if (absl::StartsWith(line, "#")) {
      std::vector<absl::string_view> words =
          absl::StrSplit(line, absl::MaxSplits(' ', 3));
      if (words.size() < 3 || words[0] != "#") return bad("not a descriptor");
      const absl::string_view keyword = words[1];
      const absl::string_view name = words[2];
      if (!IsMetricName(name)) return bad("bad metric family name");
      if (keyword == "TYPE") {
        if (words.size() != 4) return bad("TYPE without one type");
        static const std::set<std::string> kTypes = {
            "counter",  "gauge", "histogram", "gaugehistogram",
            "stateset", "info",  "summary",   "unknown"};
        if (!kTypes.contains(std::string(words[3]))) return bad("bad type");
        if (!families_seen.insert(std::string(name)).second) {
          return bad("a family given twice");
        }
        family =
            Family{.name = std::string(name), .type = std::string(words[3])};
        if (family.type == "info" && absl::EndsWith(name, "_info")) {
          return bad("an info family named ..._info");
        }
        continue;
      }
      if (name != family.name) return bad("descriptor of no current family");
      if (family.sampled) return bad("descriptor after the family's samples");
      if (keyword == "UNIT") {
        if (words.size() != 4 || words[3].empty())
          return bad("UNIT without one unit");
        if (family.unit) return bad("a second UNIT");
        if (!absl::EndsWith(name, absl::StrCat("_", words[3]))) {
          return bad("family name does not end with its unit");
        }
        family.unit = true;
        continue;
      }
      if (keyword == "HELP") {
        if (family.help) return bad("a second HELP");
        absl::string_view help = words.size() == 4 ? words[3] : "";
        std::string unescaped;
        if (!ReadEscaped(help, unescaped, /*quoted=*/false)) {
          return bad("HELP is not an escaped string");
        }
        family.help = true;
        continue;
      }
      return bad("unknown descriptor");
    }
    // A sample: name [labels] SP number.
    if (family.name.empty()) return bad("a sample before any # TYPE");
    OpenMetricsSample sample;
    absl::string_view rest = line;
    size_t name_end = 0;
    while (name_end < rest.size() && rest[name_end] != '{' &&
           rest[name_end] != ' ') {
      ++name_end;
    }
    sample.name = std::string(rest.substr(0, name_end));
    rest.remove_prefix(name_end);
    if (!IsMetricName(sample.name)) return bad("bad metric name");
    bool suffix_ok = false;
    for (const std::string& suffix : Suffixes(family.type)) {
      if (sample.name == family.name + suffix) suffix_ok = true;
    }
    if (!suffix_ok) return bad("sample name not of the family and its type");
    std::string series = sample.name + "{";
    if (absl::ConsumePrefix(&rest, "{")) {
      bool first = true;
      while (!absl::ConsumePrefix(&rest, "}")) {
        if (!first && !absl::ConsumePrefix(&rest, ",")) {
          return bad("labels not separated by ','");
        }
        first = false;
        const size_t equals = rest.find('=');
        if (equals == absl::string_view::npos) return bad("label without '='");
        const std::string label(rest.substr(0, equals));
        if (!IsLabelName(label)) return bad("bad label name");
        rest.remove_prefix(equals + 1);
        if (!absl::ConsumePrefix(&rest, "\""))
          return bad("label value unquoted");
        std::string value;
        if (!ReadEscaped(rest, value, /*quoted=*/true)) {
          return bad("label value is not an escaped string");
        }
        rest.remove_prefix(1);  // The closing quote.
        if (!sample.labels.emplace(label, value).second) {
          return bad("a label given twice");
        }
      }
    }
    for (const auto& [label, value] : sample.labels) {
      absl::StrAppend(&series, label, "=", value.size(), ":", value, ",");
    }
    if (!absl::ConsumePrefix(&rest, " "))
      return bad("no space before the value");
    if (!ParseNumber(rest, sample.value)) return bad("value is not a number");
    if (!family.series.insert(series).second)
      return bad("a series given twice");
    const bool total = absl::EndsWith(sample.name, "_total") ||
                       absl::EndsWith(sample.name, "_count") ||
                       absl::EndsWith(sample.name, "_sum");
    if ((family.type == "counter" || family.type == "summary") && total &&
        (std::isnan(sample.value) || sample.value < 0)) {
      return bad("a counter, count or sum below 0 or NaN");
    }
    if (family.type == "stateset") {
      if (!sample.labels.contains(family.name)) {
        return bad("stateset sample without its family's label");
      }
      if (sample.value != 0 && sample.value != 1)
        return bad("state not 0 or 1");
    }
    if (family.type == "info" && sample.value != 1) return bad("info not 1");
    if (family.type == "summary" && sample.name == family.name) {
      auto quantile = sample.labels.find("quantile");
      double q = 0;
      if (quantile == sample.labels.end() ||
          !ParseNumber(quantile->second, q) || !(q >= 0 && q <= 1)) {
        return bad("summary quantile without a quantile in [0, 1]");
      }
    }
    family.sampled = true;
    samples.push_back(std::move(sample));
  }
  return absl::InvalidArgumentError("no # EOF");
}

}  // namespace bulkhead::testing
