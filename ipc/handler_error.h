// Which errors a call got from the peer's handler (the app's own `Serve`
// returned them, e.g. an InvalidArgumentError for an input it refuses), as
// opposed to the channel's own (DEADLINE_EXCEEDED, UNAVAILABLE when closed,
// RESOURCE_EXHAUSTED when the queue is full, UNIMPLEMENTED when the peer has
// no handler, INVALID_ARGUMENT for a message over the frame limit, ...): an
// app tells its own errors from transport errors with `IsHandlerError`.
//
// The mark is a Status payload (kHandlerErrorTypeUrl) that `Channel::Serve`
// sets on its handler's error, and that crosses the wire as
// `Error.from_handler`. It is the peer's word about its own handler: a
// hostile peer may mark any error it sends, but never one the channel makes
// locally.
#ifndef BULKHEAD_IPC_HANDLER_ERROR_H_
#define BULKHEAD_IPC_HANDLER_ERROR_H_

#include "absl/status/status.h"
#include "bulkhead/export.h"

namespace bulkhead::ipc {

inline constexpr char kHandlerErrorTypeUrl[] =
    "type.bulkhead/bulkhead.HandlerError";

// `status` marked as a handler's own error (an OK status is returned as is).
BULKHEAD_EXPORT absl::Status MarkHandlerError(absl::Status status);

// Whether `status` is an error the peer's handler returned.
BULKHEAD_EXPORT bool IsHandlerError(const absl::Status& status);

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_HANDLER_ERROR_H_
