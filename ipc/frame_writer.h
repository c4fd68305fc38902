// The write side of a channel: a byte queue of whole frames and at most one
// libuv write in flight. Everything appended while a write is in flight
// leaves together in the next one, so a burst of frames costs one syscall.
// A flush tries `uv_try_write` first and hands libuv only what the kernel did
// not take, so the common case needs no write request and no callback. The
// two buffers (queued, in flight) are reused: once warm, queueing and writing
// allocate nothing.
//
// Thread: the loop's. Order on the stream is kept: bytes reach libuv only
// through one write at a time, after every earlier one.
#ifndef BULKHEAD_IPC_FRAME_WRITER_H_
#define BULKHEAD_IPC_FRAME_WRITER_H_

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"

namespace bulkhead::ipc {

class FrameWriter {
 public:
  // `on_write_done` runs on the loop thread when a write that libuv had to
  // finish asynchronously completes, with 0 or a libuv error; never after the
  // writer is destroyed.
  explicit FrameWriter(absl::AnyInvocable<void(int status)> on_write_done);
  // A write still in flight completes (or is cancelled when its stream is
  // closed) without calling back; its memory is freed then.
  ~FrameWriter();
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  // Where whole frames are appended; they wait there until `Flush`.
  std::string* queue() { return &queued_; }

  // Hands the queue to `stream`, unless a write is in flight (then it leaves
  // when that one completes: call Flush again from `on_write_done`). Returns
  // 0 or the libuv error of uv_try_write/uv_write; after an error the bytes
  // are dropped.
  int Flush(uv_stream_t* stream);
  // The last words of a channel that is about to close its stream: writes
  // what the kernel takes now and hands the rest to libuv as one write (which
  // closing the stream completes or cancels; on Windows pipes, which take no
  // uv_try_write, this is how anything leaves at all). Errors are ignored.
  void FlushBeforeClose(uv_stream_t* stream);
  // Drops the queued bytes (not the write in flight).
  void DropQueued();

  bool write_in_flight() const;
  // Bytes queued or in flight.
  size_t size() const { return queued_.size() + in_flight_bytes_; }
  // Writes handed to the OS or to libuv so far (uv_try_write calls that wrote
  // something, and uv_write requests): frames_sent / writes is the coalescing.
  uint64_t writes() const { return writes_; }

 private:
  struct InFlight;
  static void OnWriteDone(uv_write_t* request, int status);
  // Frees a buffer that grew large for a big frame instead of keeping it.
  static void Recycle(std::string* buffer);

  absl::AnyInvocable<void(int)> on_write_done_;
  std::string queued_;
  // Allocated on the first write libuv finishes asynchronously, then reused.
  // Owned by the writer, or by its last write's callback once the writer is
  // destroyed.
  InFlight* in_flight_ = nullptr;
  size_t in_flight_bytes_ = 0;
  uint64_t writes_ = 0;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_FRAME_WRITER_H_
