// How fast `browser_host --trace` writes its file: TraceRecorder's writer,
// which fills bulkhead.output.TraceEvent messages and prints them with
// protobuf's JSON printer (host/proto_json.h), beside its floor, the
// hand-written writer it replaced (kept here, byte for byte what it wrote but
// for the order of keys), on the same events in one run. Also shown: the
// printer through util::MessageToJsonString, which leaves Struct keys
// unsorted, to show what the sorted (deterministic) printing costs.
//
// The events are the mix HostTrace records for a helper's life: its spans,
// its instants with their args (the "exit" instant's six), and sample-work
// calls as async spans. Prints events per second for each writer (the best of
// --repeat runs) and the printer's cost as a ratio of the floor's.
//
//   bench/trace_json_bench [--events=N] [--repeat=R]
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/command_line.h"
#include "google/protobuf/util/json_util.h"
#include "host/trace_recorder.h"
#include "ipc/proto/trace_event.pb.h"

namespace bulkhead {
namespace {

// One recorded event, as the recorder keeps it.
struct Event {
  char phase;
  int64_t ts;
  TraceTrack track;
  std::string name;
  std::string category;
  uint64_t id = 0;
  TraceArgs args;
};

// HostTrace's events for helper lives until there are `count`.
std::vector<Event> HelperLives(size_t count) {
  std::vector<Event> events;
  int64_t ts = 1'000'000'000;
  uint64_t next_id = 1;
  for (int64_t helper = 1; events.size() < count; ++helper) {
    const TraceTrack track{.pid = 100'000'000 + helper,
                           .tid = 100'000'000 + helper};
    const std::string name = absl::StrCat("renderer-", helper);
    auto add = [&](char phase, std::string event_name, TraceArgs args = {}) {
      events.push_back({.phase = phase,
                        .ts = ts += 137,
                        .track = track,
                        .name = std::move(event_name),
                        .category = phase == 'b' || phase == 'e' ? "call" : "",
                        .id = phase == 'b' || phase == 'e' ? next_id : 0,
                        .args = std::move(args)});
    };
    add('B', name, {{"role", "renderer"}, {"helper_id", helper}});
    add('i', "launch", {{"role", "renderer"}});
    add('B', "starting");
    add('i', "spawned", {{"pid", int64_t{4242} + helper}});
    add('i', "Hello");
    add('i', "Welcome");
    add('i', "Ready");
    add('E', "starting");
    add('B', "ready");
    for (int call = 0; call < 20; ++call) {
      add('b', "sample work", {{"helper", name}});
      add('e', "sample work", {{"status", "OK"}});
      ++next_id;
    }
    add('E', "ready");
    add('i', "exit",
        {{"kind", "crashed"},
         {"description", "crashed (signal 11 SIGSEGV)"},
         {"signal", int64_t{11}},
         {"exit_code", int64_t{0}},
         {"pid", int64_t{4242} + helper},
         {"uptime_ms", int64_t{10'523}}});
    add('E', name);
  }
  events.resize(count);
  return events;
}

// The floor: the writer TraceRecorder had before the printer (JsonQuote and
// all), writing the same events.
std::string JsonQuote(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (byte < 0x20 || byte >= 0x7f) {
          absl::StrAppendFormat(&quoted, "\\u%04x", byte);
        } else {
          quoted += c;
        }
    }
  }
  quoted += '"';
  return quoted;
}

std::string ArgsJson(const TraceArgs& args) {
  std::string json = "{";
  for (const auto& [name, value] : args) {
    if (json.size() > 1) json += ',';
    absl::StrAppend(&json, JsonQuote(name), ":");
    if (const auto* text = std::get_if<std::string>(&value)) {
      json += JsonQuote(*text);
    } else if (const auto* number = std::get_if<int64_t>(&value)) {
      absl::StrAppend(&json, *number);
    } else {
      json += std::get<bool>(value) ? "true" : "false";
    }
  }
  json += '}';
  return json;
}

std::string HandWritten(std::vector<Event> events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.ts < b.ts; });
  std::string json = "{\"traceEvents\":[\n";
  bool first = true;
  for (const Event& event : events) {
    std::string line = absl::StrCat(
        "{\"ph\":\"", std::string(1, event.phase), "\",\"ts\":", event.ts,
        ",\"pid\":", event.track.pid, ",\"tid\":", event.track.tid,
        ",\"name\":", JsonQuote(event.name));
    if (event.phase == 'i') line += ",\"s\":\"t\"";
    if (event.phase == 'b' || event.phase == 'e') {
      absl::StrAppend(&line, ",\"cat\":", JsonQuote(event.category),
                      ",\"id\":\"0x", absl::Hex(event.id), "\"");
    }
    if (!event.args.empty()) {
      absl::StrAppend(&line, ",\"args\":", ArgsJson(event.args));
    }
    line += '}';
    if (!first) json += ",\n";
    first = false;
    json += line;
  }
  absl::StrAppend(&json, "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{",
                  "\"max_events\":", events.size(),
                  ",\"dropped_events\":0}}\n");
  return json;
}

// The recorder's writer: the events recorded (not timed), then ToJson.
std::string Printed(const std::vector<Event>& events, absl::Duration& took) {
  size_t next = 0;
  TraceRecorder recorder(
      {.max_events = events.size(),
       .now_micros = [&events, &next] { return events[next].ts; }});
  std::vector<uint64_t> open_calls;
  for (; next < events.size(); ++next) {
    const Event& event = events[next];
    switch (event.phase) {
      case 'B':
        recorder.Begin(event.track, event.name, event.args);
        break;
      case 'E':
        recorder.End(event.track, event.args);
        break;
      case 'i':
        recorder.Instant(event.track, event.name, event.args);
        break;
      case 'b':
        open_calls.push_back(recorder.AsyncBegin(event.track, event.category,
                                                 event.name, event.args));
        break;
      case 'e':
        if (!open_calls.empty()) {
          recorder.AsyncEnd(open_calls.back(), event.args);
          open_calls.pop_back();
        }
        break;
    }
  }
  next = events.size() - 1;  // The clock of the spans closed at the end.
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> json = recorder.ToJson();
  took = absl::Now() - start;
  if (!json.ok()) {
    std::fprintf(stderr, "%s\n", json.status().ToString().c_str());
    return "";
  }
  return *std::move(json);
}

// util::MessageToJsonString on each event, its Struct keys unsorted.
std::string Unsorted(const std::vector<Event>& events) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  output::TraceEvent message;
  for (const Event& event : events) {
    message.Clear();
    message.set_ph(std::string(1, event.phase));
    message.set_ts(static_cast<double>(event.ts));
    message.set_pid(static_cast<double>(event.track.pid));
    message.set_tid(static_cast<double>(event.track.tid));
    message.set_name(event.name);
    if (event.phase == 'i') message.set_s("t");
    if (event.phase == 'b' || event.phase == 'e') {
      message.set_cat(event.category);
      message.set_id(absl::StrCat("0x", absl::Hex(event.id)));
    }
    for (const auto& [name, value] : event.args) {
      google::protobuf::Value& out =
          (*message.mutable_args()->mutable_fields())[name];
      if (const auto* text = std::get_if<std::string>(&value)) {
        out.set_string_value(*text);
      } else if (const auto* number = std::get_if<int64_t>(&value)) {
        out.set_number_value(static_cast<double>(*number));
      } else {
        out.set_bool_value(std::get<bool>(value));
      }
    }
    std::string line;
    if (!google::protobuf::util::MessageToJsonString(message, &line, options)
             .ok()) {
      return "";
    }
    json += line;
    json += ",\n";
  }
  return json;
}

struct Figure {
  absl::Duration best = absl::InfiniteDuration();
  size_t bytes = 0;
};

int Main(int argc, char** argv) {
  const CommandLine line = CommandLine::Parse(argc, argv);
  absl::StatusOr<int64_t> count =
      line.Has("events") ? line.GetInt("events", 100, 10'000'000) : 200'000;
  absl::StatusOr<int64_t> repeat =
      line.Has("repeat") ? line.GetInt("repeat", 1, 100) : 3;
  for (const absl::Status& status : {count.status(), repeat.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 2;
    }
  }
  const std::vector<Event> events = HelperLives(static_cast<size_t>(*count));
  Figure hand, printed, unsorted;
  for (int64_t run = 0; run < *repeat; ++run) {
    absl::Time start = absl::Now();
    hand.bytes = HandWritten(events).size();
    hand.best = std::min(hand.best, absl::Now() - start);

    absl::Duration took;
    printed.bytes = Printed(events, took).size();
    if (printed.bytes == 0) return 1;
    printed.best = std::min(printed.best, took);

    start = absl::Now();
    unsorted.bytes = Unsorted(events).size();
    if (unsorted.bytes == 0) return 1;
    unsorted.best = std::min(unsorted.best, absl::Now() - start);
  }
  auto rate = [&](const Figure& figure) {
    return static_cast<double>(events.size()) /
           absl::ToDoubleSeconds(figure.best);
  };
  std::printf("%zu trace events (HostTrace's mix), best of %lld runs\n",
              events.size(), static_cast<long long>(*repeat));
  std::printf("%-40s %12s %10s %s\n", "writer", "events/s", "us/event",
              "ratio");
  auto row = [&](const char* name, const Figure& figure) {
    std::printf("%-40s %12.0f %10.2f %.1fx the floor's time (%zu bytes)\n",
                name, rate(figure), 1e6 / rate(figure),
                absl::FDivDuration(figure.best, hand.best), figure.bytes);
  };
  row("floor: hand-written (before)", hand);
  row("TraceRecorder: protobuf printer, sorted", printed);
  row("MessageToJsonString, unsorted", unsorted);
  return 0;
}

}  // namespace
}  // namespace bulkhead

int main(int argc, char** argv) { return bulkhead::Main(argc, argv); }
