// ExitInfo to and from ipc::ExitInfoRecord (ipc/proto/exit_info.proto): the
// one record of how a helper ended, carried by a failed call's status
// (exit_info_status.h) and by a repro file (repro.h).
//
// Internal: not installed. Pure functions; any thread.
#ifndef BULKHEAD_HOST_EXIT_INFO_RECORD_H_
#define BULKHEAD_HOST_EXIT_INFO_RECORD_H_

#include "absl/status/statusor.h"
#include "host/exit_info.h"
#include "ipc/proto/exit_info.pb.h"

namespace bulkhead {

// The last ExitKind: kinds are numbered from 0 (kNormalExit) to this, and a
// record's number outside that range is refused. Move it when a kind is
// added (at the end: a record's kind is its number).
inline constexpr ExitKind kLastExitKind = ExitKind::kDeadlineKilled;

// Every field of `exit`, as it is.
ipc::ExitInfoRecord ExitInfoToRecord(const ExitInfo& exit);

// The ExitInfo `record` holds. Its bytes may come from anywhere (a file):
// InvalidArgument for a kind that is not an ExitKind (or whose name
// disagrees with its number) or a launch status code that is not an
// absl::StatusCode. Nothing else is checked: lengths are the caller's.
absl::StatusOr<ExitInfo> ExitInfoFromRecord(const ipc::ExitInfoRecord& record);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_EXIT_INFO_RECORD_H_
