// libuv error codes to absl::Status, converted once at the edge.
#ifndef BULKHEAD_IPC_UV_STATUS_H_
#define BULKHEAD_IPC_UV_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead::ipc {

// A Status for the negative libuv error `error` (UV_ECANCELED -> Cancelled),
// prefixed with what was being done; OK for `error` >= 0.
BULKHEAD_EXPORT absl::Status UvErrorToStatus(int error, absl::string_view what);

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_UV_STATUS_H_
