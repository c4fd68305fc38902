// `browser_host --json-events`: one JSON object per line on stdout, for
// tooling. Every object has
//   "event":  "lifecycle", "restart_scheduled" or "role_failed"
//   "time":   RFC 3339 UTC with milliseconds, "2026-11-27T12:00:00.123Z"
//   "role":   the helper's role
// "lifecycle" (one per LifecycleEvent, host/exit_info.h) adds
//   "stage":     "launching", "started", "ready", "exiting" or "exited"
//   "helper":    "<role>-<id>";  "helper_id": the id (number)
//   "pid":       the process id (number; 0 before "started")
// and for "exited" also
//   "reason":      ExitKindName ("crashed", "host-shutdown", ...)
//   "description": ExitInfo::Describe()
//   "exit_code", "signal" (numbers), "uptime_ms" (number)
// "restart_scheduled" adds "helper" (the one that ended) and "delay_ms";
// "role_failed" adds "why".
#ifndef BULKHEAD_BROWSER_HOST_JSON_EVENTS_H_
#define BULKHEAD_BROWSER_HOST_JSON_EVENTS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "host/exit_info.h"

namespace bulkhead {

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

std::string LifecycleEventJson(const LifecycleEvent& event, absl::Time at);
std::string RestartScheduledJson(const ExitInfo& exit, absl::Duration delay,
                                 absl::Time at);
std::string RoleFailedJson(absl::string_view role, absl::string_view why,
                           absl::Time at);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_JSON_EVENTS_H_
