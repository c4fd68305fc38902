// The pieces a launch outside uv_spawn is made of (the Linux sandboxed
// launcher, the zygotes): pipes, fds kept clear of a child's targets, the
// zygotes' shared limits, and handing the host's ends to libuv. (A helper's
// channel is a CreateStreamPair, common/platform_handle.h.)
#ifndef BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_LINUX_H_
#define BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_LINUX_H_

#include <uv.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/platform_handle.h"

namespace bulkhead {

struct PipeEnds {
  ScopedHandle read;
  ScopedHandle write;
};

// pipe2 with `flags` (O_CLOEXEC, ...).
absl::StatusOr<PipeEnds> MakePipe(int flags);

// A child's fds are dup2'ed from copies numbered here or above, so that no
// source collides with a target (0-9).
inline constexpr int kFirstSourceFd = 10;

// A close-on-exec duplicate of `fd` numbered kFirstSourceFd or above.
absl::StatusOr<ScopedHandle> HighCopy(int fd);

// A fork takes well under a millisecond: a zygote that has not answered a
// fork request in this is stuck.
inline constexpr absl::Duration kZygoteForkReplyTimeout = absl::Seconds(2);
// Room in a zygote's argv for its helpers' command lines (helper/zygote.h).
inline constexpr size_t kZygoteTitleSpace = 4096;

// Hands `handle` to libuv as `pipe`'s stream; libuv owns it from then on.
absl::Status OpenInLibuv(uv_pipe_t* pipe, ScopedHandle handle,
                         const char* what);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_LINUX_H_
