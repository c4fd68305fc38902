// A failed call's status says why its helper ended: the helper's `ExitInfo`
// travels in the `absl::Status` as a payload, so that an app (or a pool) that
// gets UNAVAILABLE back from `HelperProcess::Call` reads the crash, the
// signal, the stack from the status itself:
//
//   if (std::optional<ExitInfo> exit = ExitInfoFromStatus(status)) {
//     LOG(INFO) << "the input killed " << exit->role << ": " <<
//     exit->Describe();
//   }
//
// The payload's type URL is kExitInfoTypeUrl; its bytes are an
// ipc::ExitInfoRecord (ipc/proto/exit_info.proto). Only the host attaches
// one: a helper cannot (its errors cross the channel as code and message).
#ifndef BULKHEAD_HOST_EXIT_INFO_STATUS_H_
#define BULKHEAD_HOST_EXIT_INFO_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "bulkhead/export.h"
#include "host/exit_info.h"

namespace bulkhead {

inline constexpr char kExitInfoTypeUrl[] = "type.bulkhead/bulkhead.ExitInfo";

// `status` with `exit` attached (replacing an ExitInfo attached before). An
// OK status carries no payload: returned as it is.
BULKHEAD_EXPORT absl::Status AttachExitInfo(absl::Status status,
                                            const ExitInfo& exit);

// The ExitInfo attached to `status`, if any (and if its bytes parse).
BULKHEAD_EXPORT std::optional<ExitInfo> ExitInfoFromStatus(
    const absl::Status& status);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_EXIT_INFO_STATUS_H_
