#include "host/trace_recorder.h"

#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "host/proto_json.h"
#include "ipc/proto/trace_event.pb.h"

namespace bulkhead {
namespace {

void SetArgs(const TraceArgs& args, output::TraceEvent& event) {
  if (args.empty()) return;
  auto& fields = *event.mutable_args()->mutable_fields();
  for (const auto& [name, value] : args) {
    google::protobuf::Value& out = fields[ValidUtf8(name)];
    if (const auto* text = std::get_if<std::string>(&value)) {
      out.set_string_value(ValidUtf8(*text));
    } else if (const auto* number = std::get_if<int64_t>(&value)) {
      out.set_number_value(static_cast<double>(*number));
    } else {
      out.set_bool_value(std::get<bool>(value));
    }
  }
}

output::TraceEvent Metadata(absl::string_view name, int64_t pid, int64_t tid,
                            const TraceArgs& args) {
  output::TraceEvent event;
  event.set_ph("M");
  event.set_ts(0);
  event.set_pid(static_cast<double>(pid));
  event.set_tid(static_cast<double>(tid));
  event.set_name(ValidUtf8(name));
  SetArgs(args, event);
  return event;
}

absl::Status FileError(const std::string& path, int error) {
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot write trace file '", path, "': ", std::strerror(error)));
}

}  // namespace

TraceRecorder::TraceRecorder(Options options)
    : max_events_(options.max_events),
      now_micros_(std::move(options.now_micros)) {}

int64_t TraceRecorder::NowMicros() {
  if (now_micros_) return now_micros_();
  return static_cast<int64_t>(uv_hrtime() / 1000);
}

bool TraceRecorder::Admit() {
  if (recorded() < max_events_) return true;
  ++dropped_;
  return false;
}

void TraceRecorder::SetProcessName(int64_t pid, std::string name,
                                   std::optional<int64_t> sort_index) {
  if (!process_names_.contains(pid) && !Admit()) return;
  process_names_[pid] = {std::move(name), sort_index};
}

void TraceRecorder::SetThreadName(TraceTrack track, std::string name) {
  if (!thread_names_.contains(track) && !Admit()) return;
  thread_names_[track] = std::move(name);
}

void TraceRecorder::Begin(TraceTrack track, std::string name, TraceArgs args) {
  const bool kept = Admit();
  open_spans_[track].push_back({.name = name, .kept = kept});
  if (!kept) return;
  events_.push_back({.phase = 'B',
                     .ts = NowMicros(),
                     .track = track,
                     .name = std::move(name),
                     .args = std::move(args)});
}

void TraceRecorder::End(TraceTrack track, TraceArgs args) {
  auto open = open_spans_.find(track);
  if (open == open_spans_.end()) return;
  OpenSpan span = std::move(open->second.back());
  open->second.pop_back();
  if (open->second.empty()) open_spans_.erase(open);
  // Kept exactly when its "B" was: the trace stays balanced.
  if (!span.kept) {
    ++dropped_;
    return;
  }
  events_.push_back({.phase = 'E',
                     .ts = NowMicros(),
                     .track = track,
                     .name = std::move(span.name),
                     .args = std::move(args)});
}

bool TraceRecorder::HasOpenSpan(TraceTrack track) const {
  return open_spans_.contains(track);
}

void TraceRecorder::Instant(TraceTrack track, std::string name, TraceArgs args,
                            std::optional<int64_t> at) {
  if (!Admit()) return;
  events_.push_back({.phase = 'i',
                     .ts = at.has_value() ? *at : NowMicros(),
                     .track = track,
                     .name = std::move(name),
                     .args = std::move(args)});
}

uint64_t TraceRecorder::AsyncBegin(TraceTrack track, std::string category,
                                   std::string name, TraceArgs args) {
  if (!Admit()) return 0;
  const uint64_t id = next_async_id_++;
  open_async_[id] = {.track = track, .category = category, .name = name};
  events_.push_back({.phase = 'b',
                     .ts = NowMicros(),
                     .track = track,
                     .name = std::move(name),
                     .category = std::move(category),
                     .id = id,
                     .args = std::move(args)});
  return id;
}

void TraceRecorder::AsyncEnd(uint64_t id, TraceArgs args) {
  auto open = open_async_.find(id);
  if (open == open_async_.end()) return;
  OpenAsync span = std::move(open->second);
  open_async_.erase(open);
  events_.push_back({.phase = 'e',
                     .ts = NowMicros(),
                     .track = span.track,
                     .name = std::move(span.name),
                     .category = std::move(span.category),
                     .id = id,
                     .args = std::move(args)});
}

void TraceRecorder::CloseOpenSpans() {
  while (!open_spans_.empty()) {
    const TraceTrack track = open_spans_.begin()->first;
    End(track, {{"closed_at_end", true}});
  }
  while (!open_async_.empty()) {
    AsyncEnd(open_async_.begin()->first, {{"closed_at_end", true}});
  }
}

absl::Status TraceRecorder::WriteJson(
    absl::FunctionRef<void(absl::string_view)> write) {
  CloseOpenSpans();
  // Stable: a "B" and the "E" recorded in the same microsecond stay in order.
  std::stable_sort(events_.begin(), events_.end(),
                   [](const Event& a, const Event& b) { return a.ts < b.ts; });
  // The file is TraceFile, printed whole but for its events, which are
  // printed one by one into its empty "traceEvents" array: a big trace is
  // never held twice.
  output::TraceFile file;
  file.set_displaytimeunit("ms");
  file.mutable_otherdata()->set_max_events(static_cast<double>(max_events_));
  file.mutable_otherdata()->set_dropped_events(static_cast<double>(dropped_));
  BH_ASSIGN_OR_RETURN(const std::string envelope, PrintJson(file));
  constexpr absl::string_view kHead = "{\"traceEvents\":[";
  if (!absl::StartsWith(envelope, kHead)) {
    return absl::InternalError(
        absl::StrCat("unexpected trace envelope: ", envelope));
  }
  write(kHead);
  write("\n");
  bool first = true;
  auto add = [&](const output::TraceEvent& event) -> absl::Status {
    BH_ASSIGN_OR_RETURN(const std::string json, PrintJson(event));
    if (!first) write(",\n");
    first = false;
    write(json);
    return absl::OkStatus();
  };
  for (const auto& [pid, name] : process_names_) {
    BH_RETURN_IF_ERROR(
        add(Metadata("process_name", pid, pid, {{"name", name.first}})));
    if (name.second.has_value()) {
      BH_RETURN_IF_ERROR(add(Metadata("process_sort_index", pid, pid,
                                      {{"sort_index", *name.second}})));
    }
  }
  for (const auto& [track, name] : thread_names_) {
    BH_RETURN_IF_ERROR(
        add(Metadata("thread_name", track.pid, track.tid, {{"name", name}})));
  }
  output::TraceEvent json;
  for (const Event& event : events_) {
    json.Clear();
    json.set_ph(std::string(1, event.phase));
    json.set_ts(static_cast<double>(event.ts));
    json.set_pid(static_cast<double>(event.track.pid));
    json.set_tid(static_cast<double>(event.track.tid));
    json.set_name(ValidUtf8(event.name));
    SetArgs(event.args, json);
    if (event.phase == 'i') json.set_s("t");
    if (event.phase == 'b' || event.phase == 'e') {
      json.set_cat(ValidUtf8(event.category));
      json.set_id(absl::StrCat("0x", absl::Hex(event.id)));
    }
    BH_RETURN_IF_ERROR(add(json));
  }
  // The envelope's rest: "],\"displayTimeUnit\":...}".
  write("\n");
  write(absl::string_view(envelope).substr(kHead.size()));
  write("\n");
  return absl::OkStatus();
}

absl::StatusOr<std::string> TraceRecorder::ToJson() {
  std::string json;
  BH_RETURN_IF_ERROR(WriteJson([&json](absl::string_view piece) {
    json.append(piece.data(), piece.size());
  }));
  return json;
}

absl::Status TraceRecorder::WriteFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return FileError(path, errno);
  bool written = true;
  int error = 0;
  const absl::Status printed = WriteJson([&](absl::string_view piece) {
    if (written &&
        std::fwrite(piece.data(), 1, piece.size(), file) != piece.size()) {
      written = false;
      error = errno;
    }
  });
  if (std::fclose(file) != 0 && written) {
    written = false;
    error = errno;
  }
  if (!written) return FileError(path, error);
  return printed;
}

absl::Status CreateTraceFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return FileError(path, errno);
  std::fclose(file);
  return absl::OkStatus();
}

}  // namespace bulkhead
