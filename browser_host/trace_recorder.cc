#include "browser_host/trace_recorder.h"

#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "browser_host/json_events.h"

namespace bulkhead {
namespace {

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

std::string MetadataJson(absl::string_view name, int64_t pid, int64_t tid,
                         const TraceArgs& args) {
  return absl::StrCat("{\"ph\":\"M\",\"name\":", JsonQuote(name),
                      ",\"pid\":", pid, ",\"tid\":", tid, ",\"ts\":0",
                      ",\"args\":", ArgsJson(args), "}");
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

void TraceRecorder::WriteJson(
    absl::FunctionRef<void(absl::string_view)> write) {
  CloseOpenSpans();
  // Stable: a "B" and the "E" recorded in the same microsecond stay in order.
  std::stable_sort(events_.begin(), events_.end(),
                   [](const Event& a, const Event& b) { return a.ts < b.ts; });
  write("{\"traceEvents\":[\n");
  bool first = true;
  auto add = [&](const std::string& event) {
    if (!first) write(",\n");
    first = false;
    write(event);
  };
  for (const auto& [pid, name] : process_names_) {
    add(MetadataJson("process_name", pid, pid, {{"name", name.first}}));
    if (name.second.has_value()) {
      add(MetadataJson("process_sort_index", pid, pid,
                       {{"sort_index", *name.second}}));
    }
  }
  for (const auto& [track, name] : thread_names_) {
    add(MetadataJson("thread_name", track.pid, track.tid, {{"name", name}}));
  }
  for (const Event& event : events_) {
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
    add(line);
  }
  write(absl::StrCat("\n],\"displayTimeUnit\":\"ms\",\"otherData\":{",
                     "\"max_events\":", max_events_,
                     ",\"dropped_events\":", dropped_, "}}\n"));
}

std::string TraceRecorder::ToJson() {
  std::string json;
  WriteJson([&json](absl::string_view piece) {
    json.append(piece.data(), piece.size());
  });
  return json;
}

absl::Status TraceRecorder::WriteFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return FileError(path, errno);
  bool written = true;
  int error = 0;
  WriteJson([&](absl::string_view piece) {
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
  return absl::OkStatus();
}

absl::Status CreateTraceFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return FileError(path, errno);
  std::fclose(file);
  return absl::OkStatus();
}

}  // namespace bulkhead
