#include "common/fd_passing_posix.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/platform.h"

namespace bulkhead {
namespace {

constexpr size_t kControlBytes = CMSG_SPACE(sizeof(int) * kMaxPassedFds);

}  // namespace

bool SetCloseOnExec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0;
}

int SocketPairCloseOnExec(int type, int fds[2]) {
#if defined(BULKHEAD_OS_LINUX)
  return ::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds);
#else
  if (::socketpair(AF_UNIX, type, 0, fds) != 0) return -1;
  if (!SetCloseOnExec(fds[0]) || !SetCloseOnExec(fds[1])) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    errno = error;
    return -1;
  }
  return 0;
#endif
}

ssize_t SendWithFds(int socket, const void* bytes, size_t size,
                    absl::Span<const int> fds, int flags) {
  if (fds.size() > kMaxPassedFds) {
    errno = EINVAL;
    return -1;
  }
  iovec data = {const_cast<void*>(bytes), size};
  alignas(cmsghdr) char control[kControlBytes] = {};
  msghdr message = {};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  if (!fds.empty()) {
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* rights = CMSG_FIRSTHDR(&message);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(rights), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t sent;
  do {
#if defined(BULKHEAD_OS_LINUX)
    sent = ::sendmsg(socket, &message, flags | MSG_NOSIGNAL);
#else
    sent = ::sendmsg(socket, &message, flags);
#endif
  } while (sent < 0 && errno == EINTR);
  return sent;
}

ssize_t ReceiveWithFds(int socket, void* buffer, size_t size, size_t max_fds,
                       int flags, std::vector<ScopedHandle>& fds,
                       bool& truncated) {
  iovec data = {buffer, size};
  alignas(cmsghdr) char control[kControlBytes] = {};
  msghdr message = {};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen =
      CMSG_SPACE(sizeof(int) * std::min(max_fds, kMaxPassedFds));
#if defined(BULKHEAD_OS_LINUX)
  flags |= MSG_CMSG_CLOEXEC;
#endif
  ssize_t received;
  do {
    received = ::recvmsg(socket, &message, flags);
  } while (received < 0 && errno == EINTR);
  truncated = false;
  if (received < 0) return received;
  for (cmsghdr* rights = CMSG_FIRSTHDR(&message); rights != nullptr;
       rights = CMSG_NXTHDR(&message, rights)) {
    if (rights->cmsg_level != SOL_SOCKET || rights->cmsg_type != SCM_RIGHTS) {
      continue;
    }
    const size_t count = (rights->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(rights) + i * sizeof(int), sizeof(fd));
      fds.emplace_back(fd);
#if !defined(BULKHEAD_OS_LINUX)
      SetCloseOnExec(fd);
#endif
    }
  }
  // The control buffer's alignment padding may fit one fd more than asked.
  truncated = (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
              fds.size() > max_fds;
  return received;
}

}  // namespace bulkhead
