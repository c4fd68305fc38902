// Records Chrome trace events in memory and writes them as one JSON file (the
// trace-event "JSON Object Format": {"traceEvents":[...],
// "displayTimeUnit":"ms"}), which Perfetto (ui.perfetto.dev) and
// chrome://tracing open. The file is the message bulkhead.output.TraceFile
// (ipc/proto/trace_event.proto documents every field), written by protobuf's
// JSON printer one event per line (host/proto_json.h): names and string args
// may hold any bytes, and the file is valid UTF-8 JSON whatever they are.
// host/host_trace.h draws a Host's helpers into one; an app may add events of
// its own beside them.
//
//   TraceRecorder trace;
//   const TraceTrack track{.pid = 7, .tid = 7};
//   trace.SetProcessName(7, "renderer-1 (pid 4242)");
//   trace.Begin(track, "ready");
//   trace.Instant(track, "fault", {{"kind", "segv"}});
//   trace.End(track);
//   absl::Status written = trace.WriteFile("out.json");
//
// Timestamps are microseconds of one monotonic clock (uv_hrtime by default).
// Events are written sorted by timestamp (stably: events recorded at the same
// microsecond keep their order), so every track is ordered even when an
// instant was recorded after the fact with an earlier `at`. Every "B" gets an
// "E" and every "b" an "e": spans still open when the file is written are
// closed at that moment, with the arg "closed_at_end": true.
//
// Memory is bounded: after `max_events` events, new spans, instants and
// names are dropped and counted; the file's "otherData" says how many
// ("dropped_events") out of the cap ("max_events"). The end of a span is
// kept exactly when its beginning was, so the file stays balanced; those ends
// may take the total past the cap by the number of spans open at once. An
// event takes 128 bytes (64-bit) plus its name's and args' own memory, and
// the array holding them may reserve up to twice what it holds: choose
// `max_events` for the memory the app can spare (a million events with short
// names is ~130-260 MB). The file is written piece by piece, never held whole.
//
// Thread: not thread-safe; use it from one thread (the host's loop thread when
// a HostTrace feeds it). The recorder owns every event it holds; it keeps no
// pointer to anything of the caller's.
#ifndef BULKHEAD_HOST_TRACE_RECORDER_H_
#define BULKHEAD_HOST_TRACE_RECORDER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead {

// Where an event is drawn: a process (`pid`) and a thread in it (`tid`).
// The ids are the trace's own; they need not be real processes.
struct TraceTrack {
  int64_t pid = 0;
  int64_t tid = 0;
  friend bool operator<(const TraceTrack& a, const TraceTrack& b) {
    return std::pair(a.pid, a.tid) < std::pair(b.pid, b.tid);
  }
};

// An event's "args": names and values (written sorted by name; of a name
// given twice, the last value). Numbers are exact up to 2^53.
using TraceValue = std::variant<std::string, int64_t, bool>;
using TraceArgs = std::vector<std::pair<std::string, TraceValue>>;

class BULKHEAD_EXPORT TraceRecorder {
 public:
  static constexpr size_t kDefaultMaxEvents = 1'000'000;

  struct Options {
    size_t max_events = kDefaultMaxEvents;
    // The clock, in microseconds; null: uv_hrtime() / 1000.
    absl::AnyInvocable<int64_t()> now_micros;
  };

  TraceRecorder() : TraceRecorder(Options()) {}
  explicit TraceRecorder(Options options);
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  // The recorder's clock, in microseconds.
  int64_t NowMicros();

  // Names shown for a process and a thread ("M" events); the last name given
  // wins. `sort_index` orders processes in the viewer.
  void SetProcessName(int64_t pid, std::string name,
                      std::optional<int64_t> sort_index = std::nullopt);
  void SetThreadName(TraceTrack track, std::string name);

  // A span on `track` ("B" now, "E" at End), nested in the ones open on it.
  void Begin(TraceTrack track, std::string name, TraceArgs args = {});
  // Ends the innermost open span of `track`; nothing when none is open.
  void End(TraceTrack track, TraceArgs args = {});
  // Whether `track` has an open span.
  bool HasOpenSpan(TraceTrack track) const;

  // A thread-scoped instant ("i"), now or at `at` (microseconds of the same
  // clock, e.g. something that happened before it was known).
  void Instant(TraceTrack track, std::string name, TraceArgs args = {},
               std::optional<int64_t> at = std::nullopt);

  // An async span ("b" ... "e", category `category`) in `track`'s process,
  // for things that overlap, such as calls in flight. Returns its id for
  // AsyncEnd (0 when it was dropped; AsyncEnd(0) does nothing).
  uint64_t AsyncBegin(TraceTrack track, std::string category, std::string name,
                      TraceArgs args = {});
  void AsyncEnd(uint64_t id, TraceArgs args = {});

  // Events kept (metadata included) and dropped so far.
  size_t recorded() const { return events_.size() + metadata_count(); }
  uint64_t dropped() const { return dropped_; }

  // The whole trace as JSON, closing every open span at NowMicros() first
  // (later Ends find nothing open). Errors (Internal): the JSON printer
  // failed, a bug.
  absl::StatusOr<std::string> ToJson();
  // The same, written into `path` (replaced) piece by piece, so that a big
  // trace is not held twice. Errors: the file cannot be written
  // (InvalidArgument), or as ToJson.
  absl::Status WriteFile(const std::string& path);

 private:
  struct Event {
    char phase;
    int64_t ts;
    TraceTrack track;
    std::string name;
    std::string category = {};  // Async events only.
    uint64_t id = 0;            // Async events only.
    TraceArgs args = {};
  };
  struct OpenAsync {
    TraceTrack track;
    std::string category;
    std::string name;
  };

  // Whether one more event fits; counts it as dropped otherwise.
  bool Admit();
  size_t metadata_count() const {
    return process_names_.size() + thread_names_.size();
  }
  void CloseOpenSpans();
  // Closes open spans, sorts, and passes the JSON to `write` in pieces.
  absl::Status WriteJson(absl::FunctionRef<void(absl::string_view)> write);

  const size_t max_events_;
  absl::AnyInvocable<int64_t()> now_micros_;
  std::vector<Event> events_;
  std::map<int64_t, std::pair<std::string, std::optional<int64_t>>>
      process_names_;
  std::map<TraceTrack, std::string> thread_names_;
  struct OpenSpan {
    std::string name;
    bool kept;  // Its "B" was recorded, so its "E" must be.
  };

  // Per track, its open spans (innermost last).
  std::map<TraceTrack, std::vector<OpenSpan>> open_spans_;
  std::map<uint64_t, OpenAsync> open_async_;
  uint64_t next_async_id_ = 1;
  uint64_t dropped_ = 0;
};

// Creates (or empties) `path` now, so that a path that cannot be written is
// found before anything starts. InvalidArgument with the path and the reason.
BULKHEAD_EXPORT absl::Status CreateTraceFile(const std::string& path);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_TRACE_RECORDER_H_
