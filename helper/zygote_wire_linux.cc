#include "helper/zygote_wire_linux.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/os_error.h"

namespace bulkhead {
namespace {

constexpr size_t kControlBytes = CMSG_SPACE(sizeof(int) * kMaxZygoteFds);

// Waits for `socket` to be readable: DeadlineExceeded when it is not by
// `deadline`. A deadline already past still takes what is queued.
absl::Status WaitReadable(int socket, absl::Time deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = deadline - absl::Now();
      timeout_ms = left <= absl::ZeroDuration()
                       ? 0
                       : static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    }
    pollfd waiting = {socket, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, timeout_ms);
    if (ready > 0) return absl::OkStatus();
    if (ready == 0 && timeout_ms == 0) {
      return absl::DeadlineExceededError("no answer from the zygote in time");
    }
    if (ready < 0 && errno != EINTR) return LastPosixErrorToStatus("poll");
  }
}

}  // namespace

absl::StatusOr<std::pair<ScopedHandle, ScopedHandle>> CreateZygoteSocketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return LastPosixErrorToStatus("socketpair(AF_UNIX, SOCK_SEQPACKET)");
  }
  return std::make_pair(ScopedHandle(fds[0]), ScopedHandle(fds[1]));
}

absl::Status SendZygotePacket(int socket,
                              const google::protobuf::MessageLite& message,
                              absl::Span<const int> fds) {
  if (fds.size() > kMaxZygoteFds) {
    return absl::InvalidArgumentError(
        absl::StrCat(fds.size(), " fds in one zygote packet; at most ",
                     kMaxZygoteFds, " fit"));
  }
  std::string bytes;
  if (!message.SerializeToString(&bytes) ||
      bytes.size() > kMaxZygotePacketBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a zygote message must serialise to at most ",
                     kMaxZygotePacketBytes, " bytes"));
  }
  if (bytes.empty()) {
    // The receiver could not tell a zero-length packet from end-of-file.
    return absl::InvalidArgumentError("an empty zygote message");
  }
  iovec data = {bytes.data(), bytes.size()};
  alignas(cmsghdr) char control[kControlBytes] = {};
  msghdr header = {};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  if (!fds.empty()) {
    header.msg_control = control;
    header.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* rights = CMSG_FIRSTHDR(&header);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(rights), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t sent;
  do {
    sent = ::sendmsg(socket, &header, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0 && (errno == EPIPE || errno == ECONNRESET)) {
    return absl::UnavailableError("the zygote's socket is closed");
  }
  if (sent < 0) return LastPosixErrorToStatus("sendmsg(zygote)");
  return absl::OkStatus();
}

absl::StatusOr<ZygotePacket> ReceiveZygotePacket(int socket,
                                                 absl::Time deadline) {
  if (absl::Status ready = WaitReadable(socket, deadline); !ready.ok()) {
    return ready;
  }
  ZygotePacket packet;
  packet.bytes.resize(kMaxZygotePacketBytes + 1);
  iovec data = {packet.bytes.data(), packet.bytes.size()};
  alignas(cmsghdr) char control[kControlBytes] = {};
  msghdr header = {};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof(control);
  ssize_t received;
  do {
    received = ::recvmsg(socket, &header, MSG_CMSG_CLOEXEC);
  } while (received < 0 && errno == EINTR);
  if (received < 0 && errno == ECONNRESET) received = 0;
  if (received < 0) return LastPosixErrorToStatus("recvmsg(zygote)");
  // Own whatever fds arrived first, so that every path below closes them.
  for (cmsghdr* rights = CMSG_FIRSTHDR(&header); rights != nullptr;
       rights = CMSG_NXTHDR(&header, rights)) {
    if (rights->cmsg_level != SOL_SOCKET || rights->cmsg_type != SCM_RIGHTS) {
      continue;
    }
    const size_t count = (rights->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(rights) + i * sizeof(int), sizeof(fd));
      packet.fds.emplace_back(fd);
    }
  }
  if (received == 0) return absl::UnavailableError("the peer closed its end");
  if ((header.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
      static_cast<size_t>(received) > kMaxZygotePacketBytes) {
    return absl::DataLossError(absl::StrCat("a zygote packet over ",
                                            kMaxZygotePacketBytes, " bytes or ",
                                            kMaxZygoteFds, " fds"));
  }
  packet.bytes.resize(static_cast<size_t>(received));
  return packet;
}

}  // namespace bulkhead
