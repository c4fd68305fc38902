// Carries OS handles beside a channel's byte stream, a batch per frame.
//
// A channel's frames travel through a libuv pipe, which reads with read(2) and
// so would drop the SCM_RIGHTS a peer attached. Handles therefore take a
// second, datagram socket of their own: the sender puts a frame's handles on
// it (one datagram, all of them) before the frame enters the stream, and an
// AF_UNIX send is in the peer's receive queue when it returns, so the receiver
// finds a frame's handles waiting when it reads the frame. The frame says how
// many it brought (Envelope.attached_handles); a peer whose count and
// datagram disagree is a protocol violation.
//
// POSIX only for now: on Windows, Create and SendHandles answer
// Unimplemented, and a channel without a transport sends large payloads
// inline.
//
// Thread: one at a time (the channel's loop thread).
#ifndef BULKHEAD_IPC_HANDLE_TRANSPORT_H_
#define BULKHEAD_IPC_HANDLE_TRANSPORT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "bulkhead/export.h"
#include "common/platform_handle.h"

namespace bulkhead::ipc {

class BULKHEAD_EXPORT HandleTransport {
 public:
  // Most handles one frame may carry (the kernel's SCM_MAX_FD is 253).
  static constexpr size_t kMaxHandlesPerFrame = 64;

  // Both ends of a new transport: keep one, give the other to the peer.
  static absl::StatusOr<HandlePair> CreatePair();

  // Takes the socket (one end of CreatePair).
  explicit HandleTransport(ScopedHandle socket);
  HandleTransport(HandleTransport&&) = default;
  HandleTransport& operator=(HandleTransport&&) = default;

  // Sends `handles` (1 to kMaxHandlesPerFrame) as one batch; they stay owned
  // by the caller, the peer gets duplicates. Never blocks:
  // RESOURCE_EXHAUSTED when the peer has left too many batches unread.
  absl::Status Send(absl::Span<const ScopedHandle> handles);

  // Takes the next batch, which must hold exactly `count` handles: DATA_LOSS
  // when none is waiting or it holds another number (every handle received
  // is closed then).
  absl::StatusOr<std::vector<ScopedHandle>> Receive(size_t count);

  NativeHandle socket() const { return socket_.get(); }

 private:
  ScopedHandle socket_;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_HANDLE_TRANSPORT_H_
