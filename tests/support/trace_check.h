// Reads a Chrome trace-event JSON file (as TraceRecorder writes it) with
// protobuf's JSON parser and checks the rules every viewer relies on, for the
// tests of trace_recorder.h and of `browser_host --trace`.
#ifndef BULKHEAD_TESTS_SUPPORT_TRACE_CHECK_H_
#define BULKHEAD_TESTS_SUPPORT_TRACE_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "ipc/proto/trace_event.pb.h"

namespace bulkhead::testing {

// One event of the trace, its fields read out.
struct TraceEvent {
  std::string ph;
  std::string name;
  std::string cat;
  std::string id;
  double ts = 0;
  int64_t pid = 0;
  int64_t tid = 0;
  google::protobuf::Struct args;
  // An arg as text ("" when missing); numbers as integers.
  std::string Arg(absl::string_view key) const;
};

struct ParsedTrace {
  google::protobuf::Struct root;
  output::TraceFile file;          // The same, read as its schema.
  std::vector<TraceEvent> events;  // In file order.
};

// Parses `json`: an object with a "traceEvents" array whose every element
// has "ph", "ts", "pid", "tid" (numbers) and "name" (string), and
// "displayTimeUnit": "ms", that is also a bulkhead.output.TraceFile
// (ipc/proto/trace_event.proto) read strictly. InvalidArgument says
// what is wrong.
absl::StatusOr<ParsedTrace> ParseTrace(const std::string& json);

// What breaks the ordering rules, one line each (empty when none): per
// thread track (pid, tid) the timestamps of non-metadata events never go
// back; every "B" has a later "E" of the same name on its track, nested; every
// async "b" has one "e" (same cat and id) no earlier.
std::vector<std::string> TraceProblems(const ParsedTrace& trace);

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_TRACE_CHECK_H_
