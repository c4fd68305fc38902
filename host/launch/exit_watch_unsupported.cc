#include "host/launch/exit_watch.h"

namespace bulkhead {

bool ExitWatchAvailable() { return false; }

std::unique_ptr<ExitWatch> WatchChildExit(uv_loop_t*, int64_t,
                                          ChildProcess::ExitCallback) {
  return nullptr;  // libuv's exit callback it is.
}

}  // namespace bulkhead
