#include "browser_host/json_events.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bulkhead {
namespace {

// The fields every event starts with.
std::string Head(absl::string_view event, absl::Time at,
                 absl::string_view role) {
  return absl::StrCat("{\"event\":", JsonQuote(event), ",\"time\":",
                      JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", at,
                                                 absl::UTCTimeZone())),
                      ",\"role\":", JsonQuote(role));
}

}  // namespace

std::string JsonQuote(absl::string_view text) {
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
        // Control characters and non-ASCII bytes become \u00XX: the output
        // is valid (ASCII) JSON whatever bytes a helper's text held; UTF-8
        // comes out as its Latin-1 reading.
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

std::string LifecycleEventJson(const LifecycleEvent& event, absl::Time at) {
  std::string json = absl::StrCat(
      Head("lifecycle", at, event.role),
      ",\"stage\":", JsonQuote(LifecycleStageName(event.stage)),
      ",\"helper\":", JsonQuote(absl::StrCat(event.role, "-", event.helper_id)),
      ",\"helper_id\":", event.helper_id, ",\"pid\":", event.pid);
  if (event.exit != nullptr) {
    const ExitInfo& exit = *event.exit;
    absl::StrAppend(&json, ",\"reason\":", JsonQuote(ExitKindName(exit.kind)),
                    ",\"description\":", JsonQuote(exit.Describe()),
                    ",\"exit_code\":", exit.exit_code,
                    ",\"signal\":", exit.signal,
                    ",\"uptime_ms\":", absl::ToInt64Milliseconds(exit.uptime));
  }
  json += '}';
  return json;
}

std::string RestartScheduledJson(const ExitInfo& exit, absl::Duration delay,
                                 absl::Time at) {
  return absl::StrCat(Head("restart_scheduled", at, exit.role), ",\"helper\":",
                      JsonQuote(absl::StrCat(exit.role, "-", exit.helper_id)),
                      ",\"delay_ms\":", absl::ToInt64Milliseconds(delay), "}");
}

std::string RoleFailedJson(absl::string_view role, absl::string_view why,
                           absl::Time at) {
  return absl::StrCat(Head("role_failed", at, role),
                      ",\"why\":", JsonQuote(why), "}");
}

}  // namespace bulkhead
