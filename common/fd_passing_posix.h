// Bytes with file descriptors beside them (SCM_RIGHTS) on an AF_UNIX socket:
// the one place the project builds and reads those control messages, for the
// channel's handle transport (ipc/handle_transport_posix.cc) and the zygote's
// wire (helper/zygote_wire_linux.cc). POSIX only.
#ifndef BULKHEAD_COMMON_FD_PASSING_POSIX_H_
#define BULKHEAD_COMMON_FD_PASSING_POSIX_H_

#include <sys/types.h>

#include <cstddef>
#include <vector>

#include "absl/types/span.h"
#include "bulkhead/export.h"
#include "common/platform_handle.h"

namespace bulkhead {

// The most fds one message carries either way.
inline constexpr size_t kMaxPassedFds = 64;

// sendmsg of `size` bytes with `fds` (at most kMaxPassedFds), retried on
// EINTR, with MSG_NOSIGNAL and `flags`. The bytes sent, or -1 with errno.
BULKHEAD_EXPORT ssize_t SendWithFds(int socket, const void* bytes, size_t size,
                                    absl::Span<const int> fds, int flags);

// recvmsg of up to `size` bytes and up to `max_fds` fds (at most
// kMaxPassedFds), retried on EINTR, with `flags`. Every fd that arrives is
// appended to `fds`, close-on-exec, whatever else happens, so that every path
// of the caller closes it. `truncated` says the bytes or fds were more than
// asked for (some may have been cut). The bytes received (0: end-of-file), or
// -1 with errno.
BULKHEAD_EXPORT ssize_t ReceiveWithFds(int socket, void* buffer, size_t size,
                                       size_t max_fds, int flags,
                                       std::vector<ScopedHandle>& fds,
                                       bool& truncated);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_FD_PASSING_POSIX_H_
