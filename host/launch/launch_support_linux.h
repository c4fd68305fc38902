// The pieces a launch outside uv_spawn is made of (the Linux sandboxed
// launcher, the zygote): pipes, and handing the host's ends to libuv. (A
// helper's channel is a CreateStreamPair, common/platform_handle.h.)
#ifndef BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_LINUX_H_
#define BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_LINUX_H_

#include <uv.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/platform_handle.h"

namespace bulkhead {

struct PipeEnds {
  ScopedHandle read;
  ScopedHandle write;
};

// pipe2 with `flags` (O_CLOEXEC, ...).
absl::StatusOr<PipeEnds> MakePipe(int flags);

// Hands `handle` to libuv as `pipe`'s stream; libuv owns it from then on.
absl::Status OpenInLibuv(uv_pipe_t* pipe, ScopedHandle handle,
                         const char* what);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_LINUX_H_
