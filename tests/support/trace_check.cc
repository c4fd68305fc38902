#include "tests/support/trace_check.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace bulkhead::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Missing(size_t index, absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat("traceEvents[", index, "] has no ", field));
}

}  // namespace

std::string TraceEvent::Arg(absl::string_view key) const {
  auto field = args.fields().find(std::string(key));
  if (field == args.fields().end()) return "";
  const Value& value = field->second;
  switch (value.kind_case()) {
    case Value::kStringValue:
      return value.string_value();
    case Value::kNumberValue:
      return absl::StrCat(static_cast<int64_t>(value.number_value()));
    case Value::kBoolValue:
      return value.bool_value() ? "true" : "false";
    default:
      return "?";
  }
}

absl::StatusOr<ParsedTrace> ParseTrace(const std::string& json) {
  ParsedTrace trace;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(json, &trace.root);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not JSON: ", parsed.ToString()));
  }
  // Strictly (no unknown field, every value of its field's type): the file
  // is what its schema says.
  const auto typed =
      google::protobuf::util::JsonStringToMessage(json, &trace.file);
  if (!typed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a bulkhead.output.TraceFile: ", typed.ToString()));
  }
  const auto& fields = trace.root.fields();
  auto unit = fields.find("displayTimeUnit");
  if (unit == fields.end() || unit->second.string_value() != "ms") {
    return absl::InvalidArgumentError("no \"displayTimeUnit\": \"ms\"");
  }
  auto events = fields.find("traceEvents");
  if (events == fields.end() || !events->second.has_list_value()) {
    return absl::InvalidArgumentError("no traceEvents array");
  }
  const auto& list = events->second.list_value().values();
  for (int i = 0; i < list.size(); ++i) {
    const size_t index = static_cast<size_t>(i);
    if (!list[i].has_struct_value()) return Missing(index, "object");
    const auto& event = list[i].struct_value().fields();
    TraceEvent out;
    for (const char* key : {"ph", "name"}) {
      auto field = event.find(key);
      if (field == event.end() ||
          field->second.kind_case() != Value::kStringValue) {
        return Missing(index, key);
      }
    }
    for (const char* key : {"ts", "pid", "tid"}) {
      auto field = event.find(key);
      if (field == event.end() ||
          field->second.kind_case() != Value::kNumberValue) {
        return Missing(index, key);
      }
    }
    out.ph = event.at("ph").string_value();
    out.name = event.at("name").string_value();
    out.ts = event.at("ts").number_value();
    out.pid = static_cast<int64_t>(event.at("pid").number_value());
    out.tid = static_cast<int64_t>(event.at("tid").number_value());
    if (auto cat = event.find("cat"); cat != event.end()) {
      out.cat = cat->second.string_value();
    }
    if (auto id = event.find("id"); id != event.end()) {
      out.id = id->second.string_value();
    }
    if (auto args = event.find("args"); args != event.end()) {
      out.args = args->second.struct_value();
    }
    trace.events.push_back(std::move(out));
  }
  return trace;
}

std::vector<std::string> TraceProblems(const ParsedTrace& trace) {
  std::vector<std::string> problems;
  std::map<std::pair<int64_t, int64_t>, double> last_ts;
  std::map<std::pair<int64_t, int64_t>, std::vector<std::string>> open;
  std::map<std::pair<std::string, std::string>, double> open_async;
  for (size_t i = 0; i < trace.events.size(); ++i) {
    const TraceEvent& event = trace.events[i];
    if (event.ph == "M") continue;
    const std::string where =
        absl::StrCat("event ", i, " (", event.ph, " '", event.name, "' pid ",
                     event.pid, " tid ", event.tid, ")");
    const auto track = std::pair(event.pid, event.tid);
    if (auto last = last_ts.find(track);
        last != last_ts.end() && event.ts < last->second) {
      problems.push_back(absl::StrCat(where, ": ts ", event.ts,
                                      " before the track's ", last->second));
    }
    last_ts[track] = event.ts;
    if (event.ph == "B") {
      open[track].push_back(event.name);
    } else if (event.ph == "E") {
      std::vector<std::string>& stack = open[track];
      if (stack.empty()) {
        problems.push_back(absl::StrCat(where, ": E without a B"));
      } else {
        if (stack.back() != event.name) {
          problems.push_back(
              absl::StrCat(where, ": ends '", stack.back(), "'"));
        }
        stack.pop_back();
      }
    } else if (event.ph == "b") {
      if (!open_async.emplace(std::pair(event.cat, event.id), event.ts)
               .second) {
        problems.push_back(absl::StrCat(where, ": async id reused"));
      }
    } else if (event.ph == "e") {
      auto begin = open_async.find(std::pair(event.cat, event.id));
      if (begin == open_async.end()) {
        problems.push_back(absl::StrCat(where, ": e without a b"));
      } else {
        if (event.ts < begin->second) {
          problems.push_back(absl::StrCat(where, ": e before its b"));
        }
        open_async.erase(begin);
      }
    } else if (event.ph != "i") {
      problems.push_back(absl::StrCat(where, ": unexpected phase"));
    }
  }
  for (const auto& [track, stack] : open) {
    for (const std::string& name : stack) {
      problems.push_back(absl::StrCat("B '", name, "' on pid ", track.first,
                                      " tid ", track.second, " never ends"));
    }
  }
  for (const auto& [key, ts] : open_async) {
    problems.push_back(
        absl::StrCat("async ", key.first, " ", key.second, " never ends"));
  }
  return problems;
}

}  // namespace bulkhead::testing
