#include "ipc/uv_loop.h"

#include "ipc/uv_handle.h"
#include "ipc/uv_status.h"

namespace bulkhead::ipc {

absl::Status DrainAndCloseLoop(uv_loop_t* loop) {
  uv_walk(
      loop,
      [](uv_handle_t* handle, void*) {
        if (!uv_is_closing(handle)) {
          uv_handle_internal::CloseForLoopTeardown(handle);
        }
      },
      nullptr);
  // A pending uv_stop() makes the first uv_run return before doing anything;
  // keep running until nothing is left.
  while (uv_run(loop, UV_RUN_DEFAULT) != 0) {
  }
  return UvErrorToStatus(uv_loop_close(loop), "uv_loop_close");
}

}  // namespace bulkhead::ipc
