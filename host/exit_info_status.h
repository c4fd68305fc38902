// A helper's ExitInfo carried inside an absl::Status, so that a call or task
// that failed because its helper ended says why in its own status: the app
// reads it back with `ExitInfoFromStatus`.
//
// The ExitInfo travels as a Status payload under the type URL
// "type.bulkhead/bulkhead.ExitInfo" (`kExitInfoPayloadUrl`); the status's code
// and message are the caller's.
#ifndef BULKHEAD_HOST_EXIT_INFO_STATUS_H_
#define BULKHEAD_HOST_EXIT_INFO_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "bulkhead/export.h"
#include "host/exit_info.h"

namespace bulkhead {

inline constexpr char kExitInfoPayloadUrl[] = "type.bulkhead/bulkhead.ExitInfo";

// `status` with `exit` attached (replacing an ExitInfo attached before). An OK
// status carries no payload: it is returned as it is.
BULKHEAD_EXPORT absl::Status AttachExitInfo(absl::Status status,
                                            const ExitInfo& exit);

// The ExitInfo attached to `status`, if any (kind, exit_code, signal,
// core_dumped, syscall, detail, pid, role, helper_id, uptime, stack_trace and
// last_stderr_lines; a launch failure's launch_status as its code and
// message).
BULKHEAD_EXPORT std::optional<ExitInfo> ExitInfoFromStatus(
    const absl::Status& status);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_EXIT_INFO_STATUS_H_
