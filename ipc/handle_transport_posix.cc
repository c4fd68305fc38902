#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "ipc/handle_transport.h"

namespace bulkhead::ipc {
namespace {

// The datagram's bytes: how many handles it carries, so that a batch cut
// short by the receiver's limits is told apart from a short batch.
using BatchHeader = uint32_t;

constexpr size_t kControlBytes =
    CMSG_SPACE(sizeof(int) * HandleTransport::kMaxHandlesPerFrame);

bool SetCloseOnExec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0;
}

}  // namespace

absl::StatusOr<HandlePair> HandleTransport::CreatePair() {
  int fds[2];
  int type = SOCK_DGRAM;
#if defined(SOCK_CLOEXEC)
  type |= SOCK_CLOEXEC;
#endif
  if (::socketpair(AF_UNIX, type, 0, fds) != 0) {
    return LastPosixErrorToStatus("socketpair(AF_UNIX, SOCK_DGRAM)");
  }
  HandlePair pair{ScopedHandle(fds[0]), ScopedHandle(fds[1])};
  if (!SetCloseOnExec(fds[0]) || !SetCloseOnExec(fds[1])) {
    return LastPosixErrorToStatus("fcntl(FD_CLOEXEC)");
  }
  return pair;
}

absl::StatusOr<std::vector<uint64_t>> HandleTransport::Prepare(
    absl::Span<const ScopedHandle> handles) {
  if (absl::Status size = CheckBatchSize(handles.size()); !size.ok()) {
    return size;
  }
  return std::vector<uint64_t>();  // The datagram carries them: nothing here.
}

void HandleTransport::Cancel(absl::Span<const uint64_t>) {}

absl::Status HandleTransport::Send(absl::Span<const ScopedHandle> handles) {
  if (absl::Status size = CheckBatchSize(handles.size()); !size.ok()) {
    return size;
  }
  BatchHeader count = static_cast<BatchHeader>(handles.size());
  iovec data = {&count, sizeof(count)};
  alignas(cmsghdr) char control[kControlBytes] = {};
  msghdr message = {};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = CMSG_SPACE(sizeof(int) * handles.size());
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int) * handles.size());
  int* fds = reinterpret_cast<int*>(CMSG_DATA(header));
  for (size_t i = 0; i < handles.size(); ++i) fds[i] = handles[i].get();
  ssize_t sent;
  do {
    sent = ::sendmsg(end_.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  // ETOOMANYREFS: the kernel's cap on handles in flight, per user.
  if (sent < 0 &&
      (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETOOMANYREFS)) {
    return absl::ResourceExhaustedError(
        "the peer has not taken the handles sent before");
  }
  if (sent < 0) return LastPosixErrorToStatus("sendmsg(SCM_RIGHTS)");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ScopedHandle>> HandleTransport::Receive(
    size_t count, absl::Span<const uint64_t> values) {
  if (!values.empty()) {
    return absl::DataLossError(
        "the frame carries handle values, which only Windows peers send");
  }
  BatchHeader claimed = 0;
  iovec data = {&claimed, sizeof(claimed)};
  alignas(cmsghdr) char control[kControlBytes] = {};
  msghdr message = {};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  int flags = MSG_DONTWAIT;
#if defined(MSG_CMSG_CLOEXEC)
  flags |= MSG_CMSG_CLOEXEC;
#endif
  ssize_t received;
  do {
    received = ::recvmsg(end_.get(), &message, flags);
  } while (received < 0 && errno == EINTR);
  if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return absl::DataLossError(absl::StrCat(
        "the frame announced ", count, " handle(s), but none came with it"));
  }
  if (received < 0) return LastPosixErrorToStatus("recvmsg(SCM_RIGHTS)");
  // Own whatever arrived first, so that every path below closes it.
  std::vector<ScopedHandle> handles;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
      continue;
    }
    const size_t n = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* fds = reinterpret_cast<const int*>(CMSG_DATA(header));
    for (size_t i = 0; i < n; ++i) {
      int fd;
      std::memcpy(&fd, fds + i, sizeof(fd));
      handles.emplace_back(fd);
#if !defined(MSG_CMSG_CLOEXEC)
      SetCloseOnExec(fd);  // Otherwise recvmsg did.
#endif
    }
  }
  if ((message.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0 ||
      received != sizeof(claimed) || claimed != handles.size() ||
      handles.size() != count) {
    return absl::DataLossError(absl::StrCat(
        "the frame announced ", count, " handle(s); the batch beside it said ",
        claimed, " and brought ", handles.size()));
  }
  return handles;
}

}  // namespace bulkhead::ipc
