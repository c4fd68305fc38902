#include "helper/zygote_wire_linux.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fd_passing_posix.h"
#include "common/os_error.h"

namespace bulkhead {
namespace {

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
  const ssize_t sent = SendWithFds(socket, bytes.data(), bytes.size(), fds, 0);
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
  // Not zero-filled: the zygote receives right after each fork, when every
  // page it writes is a copy-on-write fault; a packet is a few hundred bytes.
  // Wiped on every way out, as the zygote wipes the request parsed from it
  // (zygote_linux.cc): the next helper forks with this heap.
  struct WipedBuffer {
    std::unique_ptr<char[]> bytes{new char[kMaxZygotePacketBytes + 1]};
    size_t used = 0;
    ~WipedBuffer() { ::explicit_bzero(bytes.get(), used); }
  } buffer;
  bool truncated = false;
  ssize_t received =
      ReceiveWithFds(socket, buffer.bytes.get(), kMaxZygotePacketBytes + 1,
                     kMaxZygoteFds, 0, packet.fds, truncated);
  // What recvmsg may have written: a truncated datagram filled all of it.
  buffer.used = truncated ? kMaxZygotePacketBytes + 1
                          : static_cast<size_t>(std::max<ssize_t>(received, 0));
  if (received < 0 && errno == ECONNRESET) received = 0;
  if (received < 0) return LastPosixErrorToStatus("recvmsg(zygote)");
  if (received == 0) return absl::UnavailableError("the peer closed its end");
  if (truncated || static_cast<size_t>(received) > kMaxZygotePacketBytes) {
    return absl::DataLossError(absl::StrCat("a zygote packet over ",
                                            kMaxZygotePacketBytes, " bytes or ",
                                            kMaxZygoteFds, " fds"));
  }
  packet.bytes.assign(buffer.bytes.get(), static_cast<size_t>(received));
  return packet;
}

ipc::ZygoteFork NewZygoteFork(const std::vector<std::string>& argv,
                              const std::vector<std::string>& environment,
                              const std::vector<int>& targets) {
  ipc::ZygoteFork request;
  for (const std::string& arg : argv) request.add_argv(arg);
  for (int target : targets) request.add_target_fds(target);
  for (const std::string& variable : environment) {
    request.add_environment(variable);
  }
  std::string directory(4096, '\0');
  size_t size = directory.size();
  if (uv_cwd(directory.data(), &size) == 0) {
    directory.resize(size);
    request.set_working_directory(directory);
  }
  return request;
}

}  // namespace bulkhead
