#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/fd_passing_posix.h"
#include "common/os_error.h"
#include "ipc/handle_transport.h"

namespace bulkhead::ipc {
namespace {

// The datagram's bytes: how many handles it carries, so that a batch cut
// short by the receiver's limits is told apart from a short batch.
using BatchHeader = uint32_t;
static_assert(HandleTransport::kMaxHandlesPerFrame <= kMaxPassedFds);

}  // namespace

absl::StatusOr<HandlePair> HandleTransport::CreatePair() {
  int fds[2];
  if (SocketPairCloseOnExec(SOCK_DGRAM, fds) != 0) {
    return LastPosixErrorToStatus("socketpair(AF_UNIX, SOCK_DGRAM)");
  }
  return HandlePair{ScopedHandle(fds[0]), ScopedHandle(fds[1])};
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
  int fds[kMaxHandlesPerFrame];  // No allocation per frame.
  for (size_t i = 0; i < handles.size(); ++i) fds[i] = handles[i].get();
  const ssize_t sent =
      SendWithFds(end_.get(), &count, sizeof(count),
                  absl::MakeConstSpan(fds, handles.size()), MSG_DONTWAIT);
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
  // Owns whatever arrived, so that every path below closes it.
  std::vector<ScopedHandle> handles;
  bool truncated = false;
  const ssize_t received =
      ReceiveWithFds(end_.get(), &claimed, sizeof(claimed), kMaxHandlesPerFrame,
                     MSG_DONTWAIT, handles, truncated);
  if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return absl::DataLossError(absl::StrCat(
        "the frame announced ", count, " handle(s), but none came with it"));
  }
  if (received < 0) return LastPosixErrorToStatus("recvmsg(SCM_RIGHTS)");
  if (truncated && received == sizeof(claimed) && claimed == count &&
      handles.size() < count) {
    // A batch of the size announced, cut by the kernel: when the receiver
    // has no free descriptor it drops the rest and says MSG_CTRUNC.
    return absl::ResourceExhaustedError(absl::StrCat(
        "only ", handles.size(), " of the frame's ", count,
        " handle(s) could be received: this process is at its descriptor "
        "limit (RLIMIT_NOFILE)"));
  }
  if (truncated || received != sizeof(claimed) || claimed != handles.size() ||
      handles.size() != count) {
    return absl::DataLossError(absl::StrCat(
        "the frame announced ", count, " handle(s); the batch beside it said ",
        claimed, " and brought ", handles.size()));
  }
  return handles;
}

}  // namespace bulkhead::ipc
