// Carries OS handles beside a channel's byte stream, a batch per frame.
//
// POSIX: a channel's frames travel through a libuv pipe, which reads with
// read(2) and so would drop the SCM_RIGHTS a peer attached. Handles therefore
// take a second, datagram socket of their own: the sender puts a frame's
// handles on it (one datagram, all of them) before the frame enters the
// stream, and an AF_UNIX send is in the peer's receive queue when it returns,
// so the receiver finds a frame's handles waiting when it reads the frame.
//
// Windows: handles cannot travel through a pipe at all; a process with a
// handle to another (PROCESS_DUP_HANDLE) duplicates them across, as Chromium's
// broker does. Only the host has such a handle (a sandboxed helper must never
// hold one to its host), so the host does both directions: it duplicates its
// handles into the helper, and takes the helper's out of it (closing them
// there). The frame carries the handles' values (Envelope.handle_values).
//
// Either way the frame says how many it brought (Envelope.attached_handles);
// a peer whose count and batch disagree is a protocol violation. A handle
// leaves in two steps, so that what the frame must carry is known before the
// frame is built and nothing is handed over for a frame that was not queued:
// Prepare, then Send (or Cancel).
//
// Thread: one at a time (the channel's loop thread).
#ifndef BULKHEAD_IPC_HANDLE_TRANSPORT_H_
#define BULKHEAD_IPC_HANDLE_TRANSPORT_H_

#include <cstdint>
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
  // POSIX: a datagram socketpair. Windows: a transport within this process (a
  // handle to itself, and the brokered end), for tests.
  static absl::StatusOr<HandlePair> CreatePair();

  // Takes the transport's end: POSIX, a socket (one end of CreatePair).
  // Windows: the peer's process handle, with PROCESS_DUP_HANDLE, on the side
  // that duplicates (the host); an invalid handle on the side whose peer
  // duplicates for it (a helper).
  explicit HandleTransport(ScopedHandle end);
  HandleTransport(HandleTransport&&) = default;
  HandleTransport& operator=(HandleTransport&&) = default;

  // Step one, before the frame is built: the values the frame must carry for
  // `handles` (1 to kMaxHandlesPerFrame), which stay owned by the caller.
  // POSIX: none. Windows: duplicates, made now (into the peer, or here for
  // the peer to take). InvalidArgument for an empty or oversize batch.
  absl::StatusOr<std::vector<uint64_t>> Prepare(
      absl::Span<const ScopedHandle> handles);
  // Step two, once the frame is queued: hands the batch over. POSIX: the
  // datagram; never blocks: RESOURCE_EXHAUSTED when the peer has left too many
  // batches unread. Windows: nothing left to do.
  absl::Status Send(absl::Span<const ScopedHandle> handles);
  // Instead of Send, when the frame was not queued: takes back the duplicates
  // Prepare made (`values` as it returned them).
  void Cancel(absl::Span<const uint64_t> values);

  // Takes the batch of a frame that announced `count` handles and carried
  // `values` (Envelope.handle_values): DATA_LOSS when the batch is missing,
  // of another size, or names handles the peer does not have (every handle
  // received is closed then). RESOURCE_EXHAUSTED when the batch was whole
  // but this process could not take all of it (POSIX: at its descriptor
  // limit, the kernel drops what does not fit): not the peer's fault.
  absl::StatusOr<std::vector<ScopedHandle>> Receive(
      size_t count, absl::Span<const uint64_t> values);

  NativeHandle end() const { return end_.get(); }

 private:
  // InvalidArgument unless 1 <= size <= kMaxHandlesPerFrame.
  static absl::Status CheckBatchSize(size_t size);

  ScopedHandle end_;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_HANDLE_TRANSPORT_H_
