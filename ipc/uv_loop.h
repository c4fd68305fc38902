// Tearing down a libuv loop completely, so that every handle's close callback
// runs (freeing what it owns) and uv_loop_close succeeds.
#ifndef BULKHEAD_IPC_UV_LOOP_H_
#define BULKHEAD_IPC_UV_LOOP_H_

#include <uv.h>

#include "absl/status/status.h"
#include "bulkhead/export.h"

namespace bulkhead::ipc {

// Closes every handle still open on `loop` (with no close callback: use it for
// handles whose memory the loop's owner frees itself, or which were already
// closed), runs the loop until all close callbacks have run, even if uv_stop()
// was called before, then closes the loop.
BULKHEAD_EXPORT absl::Status DrainAndCloseLoop(uv_loop_t* loop);

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_UV_LOOP_H_
