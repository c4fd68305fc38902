// Bytes with file descriptors beside them (SCM_RIGHTS) on an AF_UNIX socket:
// the one place the project builds and reads those control messages, for the
// channel's handle transport (ipc/handle_transport_posix.cc) and the zygote's
// wire (helper/zygote_wire_linux.cc); and the close-on-exec socket pairs they
// travel on. POSIX only: where Linux has an atomic flag (SOCK_CLOEXEC,
// MSG_CMSG_CLOEXEC) it is used, elsewhere fcntl right after.
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

// Sets FD_CLOEXEC on `fd`; false with errno when fcntl fails.
BULKHEAD_EXPORT bool SetCloseOnExec(int fd);

// socketpair(AF_UNIX, `type`) with both ends close-on-exec. Atomic on Linux;
// elsewhere a fork+exec on another thread between socketpair and fcntl (the
// launcher thread of another Host in the process) can inherit the ends, as
// with any POSIX code without SOCK_CLOEXEC: a known window off Linux
// (docs/platforms.md). 0, or -1 with errno (nothing left open).
BULKHEAD_EXPORT int SocketPairCloseOnExec(int type, int fds[2]);

// sendmsg of `size` bytes with `fds` (at most kMaxPassedFds), retried on
// EINTR, with `flags` and no SIGPIPE (MSG_NOSIGNAL on Linux; elsewhere the
// process ignores SIGPIPE: ipc/sigpipe.h). The bytes sent, or -1 with errno.
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
