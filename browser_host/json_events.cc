#include "browser_host/json_events.h"

#include "absl/strings/str_cat.h"
#include "browser_host/proto/json_event.pb.h"
#include "host/proto_json.h"

namespace bulkhead {
namespace {

// The fields every event starts with.
output::JsonEvent Head(absl::string_view event, absl::Time at,
                       absl::string_view role) {
  output::JsonEvent json;
  json.set_event(std::string(event));
  json.set_time(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", at, absl::UTCTimeZone()));
  json.set_role(ValidUtf8(role));
  return json;
}

std::string HelperName(absl::string_view role, uint64_t id) {
  return ValidUtf8(absl::StrCat(role, "-", id));
}

}  // namespace

absl::StatusOr<std::string> LifecycleEventJson(const LifecycleEvent& event,
                                               absl::Time at) {
  output::JsonEvent json = Head("lifecycle", at, event.role);
  json.set_stage(LifecycleStageName(event.stage));
  json.set_helper(HelperName(event.role, event.helper_id));
  json.set_helper_id(static_cast<double>(event.helper_id));
  json.set_pid(static_cast<double>(event.pid));
  if (event.exit != nullptr) {
    const ExitInfo& exit = *event.exit;
    json.set_reason(ExitKindName(exit.kind));
    json.set_description(ValidUtf8(exit.Describe()));
    json.set_exit_code(static_cast<double>(exit.exit_code));
    json.set_signal(exit.signal);
    json.set_uptime_ms(
        static_cast<double>(absl::ToInt64Milliseconds(exit.uptime)));
  }
  return PrintJson(json);
}

absl::StatusOr<std::string> RestartScheduledJson(const ExitInfo& exit,
                                                 absl::Duration delay,
                                                 absl::Time at) {
  output::JsonEvent json = Head("restart_scheduled", at, exit.role);
  json.set_helper(HelperName(exit.role, exit.helper_id));
  json.set_delay_ms(static_cast<double>(absl::ToInt64Milliseconds(delay)));
  return PrintJson(json);
}

absl::StatusOr<std::string> RoleFailedJson(absl::string_view role,
                                           absl::string_view why,
                                           absl::Time at) {
  output::JsonEvent json = Head("role_failed", at, role);
  json.set_why(ValidUtf8(why));
  return PrintJson(json);
}

}  // namespace bulkhead
