// A HostSnapshot in the OpenMetrics text format (openmetrics.io, the format
// Prometheus scrapes, content type
// "application/openmetrics-text; version=1.0.0; charset=utf-8"), for an app to
// serve from its own metrics endpoint:
//
//   std::string body = WriteOpenMetrics(TakeHostSnapshot(*host));
//
// Every metric is named bulkhead_*, each family once with its # TYPE, # HELP
// and (for seconds and bytes) # UNIT lines, and the text ends with "# EOF".
// Each family's label set is fixed:
//   bulkhead_helper_*  {role, helper_id, pid}: its state (a stateset),
//                      sandboxed, uptime, CPU seconds, resident bytes, calls,
//                      calls pending, messages and bytes each way, output
//                      lines dropped, last round trip, Ping overdue.
//   bulkhead_role_*    {role}: helpers, restarts, failed; exits by
//                      {role, kind}; the last exit as an info metric
//                      {role, kind, description, helper_id, pid}.
//   bulkhead_pool_*    {pool, role}: helpers, queue depth, busy, tasks done;
//                      tasks failed by {pool, role, reason}; task latency as
//                      a summary (quantile, _sum, _count).
// Counters end in _total. A value the snapshot does not have (CPU time of a
// helper not yet spawned, say) is left out, never written as 0. Label values
// may come from helpers and apps (role names, exit descriptions, reasons):
// they are written as valid UTF-8 (bytes that are not become U+FFFD) with
// `\`, `"` and line feeds escaped, so any value yields well-formed text (of
// two series that then read the same, the first is written). An exit's
// description is cut at 256 bytes.
#ifndef BULKHEAD_HOST_OPENMETRICS_H_
#define BULKHEAD_HOST_OPENMETRICS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "bulkhead/export.h"
#include "host/host_snapshot.h"

namespace bulkhead {

// The HTTP Content-Type of WriteOpenMetrics' text.
inline constexpr absl::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

BULKHEAD_EXPORT std::string WriteOpenMetrics(const HostSnapshot& snapshot);

// `value` as an OpenMetrics label value (without the quotes): valid UTF-8,
// with `\`, `"` and line feed escaped as `\\`, `\"` and `\n`.
BULKHEAD_EXPORT std::string EscapeOpenMetricsLabel(absl::string_view value);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_OPENMETRICS_H_
