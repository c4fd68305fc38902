// `browser_host --json-events`: one JSON object per line on stdout, for
// tooling. The format is the message bulkhead.output.JsonEvent
// (browser_host/proto/json_event.proto, which documents every field): each
// object has "event" ("lifecycle", "restart_scheduled" or "role_failed"),
// "time" (RFC 3339 UTC with milliseconds) and "role"; "lifecycle" adds
// "stage", "helper", "helper_id" and "pid", and for "exited" also "reason",
// "description", "exit_code", "signal" and "uptime_ms"; "restart_scheduled"
// adds "helper" and "delay_ms"; "role_failed" adds "why".
//
// Each function returns one line without its newline. Text from a helper
// may hold any bytes: the line is valid UTF-8 JSON whatever they are (see
// proto_json.h). Errors (Internal): the JSON printer failed, a bug.
#ifndef BULKHEAD_BROWSER_HOST_JSON_EVENTS_H_
#define BULKHEAD_BROWSER_HOST_JSON_EVENTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "host/exit_info.h"

namespace bulkhead {

absl::StatusOr<std::string> LifecycleEventJson(const LifecycleEvent& event,
                                               absl::Time at);
absl::StatusOr<std::string> RestartScheduledJson(const ExitInfo& exit,
                                                 absl::Duration delay,
                                                 absl::Time at);
absl::StatusOr<std::string> RoleFailedJson(absl::string_view role,
                                           absl::string_view why,
                                           absl::Time at);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_JSON_EVENTS_H_
