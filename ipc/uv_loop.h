// Tearing down a libuv loop completely, so that every handle's close callback
// runs (freeing what it owns) and uv_loop_close succeeds.
#ifndef BULKHEAD_IPC_UV_LOOP_H_
#define BULKHEAD_IPC_UV_LOOP_H_

#include <uv.h>

#include "absl/status/status.h"
#include "bulkhead/export.h"

namespace bulkhead::ipc {

// Closes every handle still open on `loop`, runs the loop until all close
// callbacks have run, even if uv_stop() was called before, then closes the
// loop. The handles it closes get no callback of their holder's: their memory
// is their holder's to free. A `UvHandle` (uv_handle.h) still holding one
// frees it when it is destroyed, later, without touching the loop: the close
// marks the handle's `data` for that (so `data` of every handle closed here is
// overwritten once its close has finished).
BULKHEAD_EXPORT absl::Status DrainAndCloseLoop(uv_loop_t* loop);

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_UV_LOOP_H_
