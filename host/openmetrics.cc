#include "host/openmetrics.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace bulkhead {

namespace {

// An exit's description can carry a helper's stderr line; a label is not
// the place for all of it.
constexpr size_t kMaxDescriptionBytes = 256;

struct Label {
  absl::string_view name;
  std::string value;  // Unescaped.
};
using Labels = std::vector<Label>;

// The shortest text that reads back as `value` ("0.25", "1e-06", "3").
std::string Number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const std::to_chars_result end =
      std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end.ptr);
}
std::string Number(uint64_t value) { return absl::StrCat(value); }
std::string Seconds(absl::Duration duration) {
  return Number(absl::ToDoubleSeconds(duration));
}

// Writes families one after another; a family's metadata goes out with its
// first sample, so that a family without samples leaves no trace.
class Writer {
 public:
  // `type`: counter, gauge, info, stateset or summary; `unit` empty for
  // none (else the name ends in "_<unit>").
  void Family(absl::string_view name, absl::string_view type,
              absl::string_view unit, absl::string_view help) {
    family_ = std::string(name);
    series_.clear();
    header_ = absl::StrCat("# TYPE ", name, " ", type, "\n");
    if (!unit.empty())
      absl::StrAppend(&header_, "# UNIT ", name, " ", unit, "\n");
    absl::StrAppend(&header_, "# HELP ", name, " ",
                    EscapeOpenMetricsLabel(help), "\n");
  }

  // A sample of the current family, named the family's name + `suffix`.
  // A series already written (two values that differ only in bytes that
  // are not UTF-8 read the same) is left out: the first one stands.
  void Sample(absl::string_view suffix, const Labels& labels,
              absl::string_view value) {
    std::string series = absl::StrCat(family_, suffix);
    if (!labels.empty()) {
      series += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i != 0) series += ',';
        absl::StrAppend(&series, labels[i].name, "=\"",
                        EscapeOpenMetricsLabel(labels[i].value), "\"");
      }
      series += '}';
    }
    if (!series_.insert(series).second) return;
    if (!header_.empty()) {
      out_ += header_;
      header_.clear();
    }
    absl::StrAppend(&out_, series, " ", value, "\n");
  }

  std::string Finish() && {
    out_ += "# EOF\n";
    return std::move(out_);
  }

 private:
  std::string out_;
  std::string family_;
  std::string header_;  // The current family's metadata, until its sample.
  std::set<std::string> series_;  // The current family's, written.
};

Labels HelperLabels(const HelperSnapshot& helper) {
  return {{"role", helper.role},
          {"helper_id", absl::StrCat(helper.id)},
          {"pid", absl::StrCat(helper.pid)}};
}

Labels With(Labels labels, absl::string_view name, std::string value) {
  labels.push_back({name, std::move(value)});
  return labels;
}

void WriteHelpers(const HostSnapshot& snapshot, Writer& out) {
  const std::vector<HelperSnapshot>& helpers = snapshot.helpers;
  // One gauge or counter family with one value (or none) per helper.
  auto each = [&](absl::string_view name, absl::string_view type,
                  absl::string_view unit, absl::string_view help,
                  auto value_of) {
    out.Family(name, type, unit, help);
    for (const HelperSnapshot& helper : helpers) {
      const std::optional<std::string> value = value_of(helper);
      if (value.has_value()) {
        out.Sample(type == "counter" ? "_total" : "", HelperLabels(helper),
                   *value);
      }
    }
  };
  constexpr HelperProcess::State kStates[] = {
      HelperProcess::State::kStarting, HelperProcess::State::kReady,
      HelperProcess::State::kStopping, HelperProcess::State::kExited};
  out.Family("bulkhead_helper_state", "stateset", "",
             "The helper's lifecycle state.");
  for (const HelperSnapshot& helper : helpers) {
    for (HelperProcess::State state : kStates) {
      out.Sample("",
                 With(HelperLabels(helper), "bulkhead_helper_state",
                      HelperStateName(state)),
                 helper.state == state ? "1" : "0");
    }
  }
  each("bulkhead_helper_sandboxed", "gauge", "",
       "1 when the helper was launched inside the platform's sandbox.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return h.sandboxed ? "1" : "0";
       });
  each("bulkhead_helper_uptime_seconds", "gauge", "seconds",
       "Time since the helper was launched.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Seconds(h.uptime);
       });
  each("bulkhead_helper_cpu_seconds", "counter", "seconds",
       "CPU time (user and system) of the helper's process, as the OS "
       "reports it.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         if (!h.cpu_time.has_value()) return std::nullopt;
         return Seconds(*h.cpu_time);
       });
  each("bulkhead_helper_resident_memory_bytes", "gauge", "bytes",
       "Resident memory of the helper's process, as the OS reports it.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         if (!h.resident_bytes.has_value()) return std::nullopt;
         return Number(*h.resident_bytes);
       });
  each("bulkhead_helper_calls", "counter", "",
       "Calls the app made to the helper.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Number(h.calls_started);
       });
  each("bulkhead_helper_calls_pending", "gauge", "",
       "Calls to the helper waiting for an answer, bulkhead's own included.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Number(h.calls_pending);
       });
  each("bulkhead_helper_messages_sent", "counter", "",
       "Frames sent to the helper.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Number(h.messages_sent);
       });
  each("bulkhead_helper_messages_received", "counter", "",
       "Frames received from the helper.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Number(h.messages_received);
       });
  each("bulkhead_helper_sent_bytes", "counter", "bytes",
       "Bytes of frames sent to the helper, headers included.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Number(h.bytes_sent);
       });
  each("bulkhead_helper_received_bytes", "counter", "bytes",
       "Bytes of frames received from the helper, headers included.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Number(h.bytes_received);
       });
  each("bulkhead_helper_output_lines_dropped", "counter", "",
       "Lines of the helper's output not copied to the host's, which did not "
       "keep up.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Number(h.output_lines_dropped);
       });
  each("bulkhead_helper_round_trip_seconds", "gauge", "seconds",
       "Round trip of the last answered Ping.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         if (!h.round_trip.has_value()) return std::nullopt;
         return Seconds(*h.round_trip);
       });
  each("bulkhead_helper_ping_overdue_seconds", "gauge", "seconds",
       "How long the heartbeat's Ping has waited past its interval; 0 when "
       "the helper is responsive.",
       [](const HelperSnapshot& h) -> std::optional<std::string> {
         return Seconds(h.overdue_ping.value_or(absl::ZeroDuration()));
       });
}

void WriteRoles(const HostSnapshot& snapshot, Writer& out) {
  const std::vector<RoleSnapshot>& roles = snapshot.roles;
  auto role_labels = [](const RoleSnapshot& role) -> Labels {
    return {{"role", role.role}};
  };
  out.Family("bulkhead_role_helpers", "gauge", "",
             "Helpers of the role not yet reaped.");
  for (const RoleSnapshot& role : roles) {
    out.Sample("", role_labels(role), Number(uint64_t(role.helpers)));
  }
  out.Family("bulkhead_role_restarts", "counter", "",
             "Restarts of the role's helpers so far.");
  for (const RoleSnapshot& role : roles) {
    out.Sample("_total", role_labels(role), Number(uint64_t(role.restarts)));
  }
  out.Family("bulkhead_role_failed", "gauge", "",
             "1 when the role went past its restart policy's intensity "
             "limit.");
  for (const RoleSnapshot& role : roles) {
    out.Sample("", role_labels(role), role.failed ? "1" : "0");
  }
  out.Family("bulkhead_role_exits", "counter", "",
             "Helpers of the role that ended, by how they ended.");
  for (const RoleSnapshot& role : roles) {
    for (const auto& [kind, count] : role.exits) {
      out.Sample("_total", With(role_labels(role), "kind", ExitKindName(kind)),
                 Number(count));
    }
  }
  out.Family("bulkhead_role_last_exit", "info", "",
             "How the role's last helper to end ended.");
  for (const RoleSnapshot& role : roles) {
    if (!role.last_exit.has_value()) continue;
    const ExitInfo& exit = *role.last_exit;
    std::string description = exit.Describe();
    if (description.size() > kMaxDescriptionBytes) {
      description.resize(kMaxDescriptionBytes);
    }
    out.Sample("_info",
               {{"role", role.role},
                {"kind", ExitKindName(exit.kind)},
                {"description", std::move(description)},
                {"helper_id", absl::StrCat(exit.helper_id)},
                {"pid", absl::StrCat(exit.pid)}},
               "1");
  }
}

void WritePools(const HostSnapshot& snapshot, Writer& out) {
  const std::vector<PoolSnapshot>& pools = snapshot.pools;
  auto pool_labels = [](const PoolSnapshot& pool) -> Labels {
    return {{"pool", pool.name}, {"role", pool.role}};
  };
  auto each = [&](absl::string_view name, absl::string_view type,
                  absl::string_view help, auto value_of) {
    out.Family(name, type, "", help);
    for (const PoolSnapshot& pool : pools) {
      out.Sample(type == "counter" ? "_total" : "", pool_labels(pool),
                 Number(value_of(pool)));
    }
  };
  each("bulkhead_pool_helpers", "gauge", "The pool's helpers.",
       [](const PoolSnapshot& p) { return p.helpers; });
  each("bulkhead_pool_queue_depth", "gauge", "Tasks waiting for a helper.",
       [](const PoolSnapshot& p) { return p.queue_depth; });
  each("bulkhead_pool_busy", "gauge", "Tasks on a helper now.",
       [](const PoolSnapshot& p) { return p.busy; });
  each("bulkhead_pool_tasks_done", "counter", "Tasks that ended with a reply.",
       [](const PoolSnapshot& p) { return p.done; });
  out.Family("bulkhead_pool_tasks_failed", "counter", "",
             "Tasks that ended without a reply, by reason.");
  for (const PoolSnapshot& pool : pools) {
    for (const auto& [reason, count] : pool.failed) {
      out.Sample("_total", With(pool_labels(pool), "reason", reason),
                 Number(count));
    }
  }
  out.Family("bulkhead_pool_task_latency_seconds", "summary", "seconds",
             "How long tasks took, queueing included.");
  for (const PoolSnapshot& pool : pools) {
    for (const auto& [quantile, latency] : pool.latency_quantiles) {
      out.Sample("", With(pool_labels(pool), "quantile", Number(quantile)),
                 Seconds(latency));
    }
    out.Sample("_sum", pool_labels(pool), Seconds(pool.latency_sum));
    out.Sample("_count", pool_labels(pool), Number(pool.latency_count));
  }
}

}  // namespace

std::string EscapeOpenMetricsLabel(absl::string_view value) {
  const std::string valid = ValidUtf8(value);
  std::string escaped;
  escaped.reserve(valid.size());
  for (char c : valid) {
    switch (c) {
      case '\\':
        escaped += "\\\\";
        break;
      case '"':
        escaped += "\\\"";
        break;
      case '\n':
        escaped += "\\n";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string WriteOpenMetrics(const HostSnapshot& snapshot) {
  Writer out;
  WriteHelpers(snapshot, out);
  WriteRoles(snapshot, out);
  WritePools(snapshot, out);
  return std::move(out).Finish();
}

}  // namespace bulkhead
