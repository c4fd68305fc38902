// Stream framing: every frame is a 4-byte little-endian payload length, then
// the payload (one serialized Envelope). The decoder parses frames in place
// from its read buffer.
#ifndef BULKHEAD_IPC_FRAME_CODEC_H_
#define BULKHEAD_IPC_FRAME_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ipc/frame_limits.h"

namespace google::protobuf {
class MessageLite;
}  // namespace google::protobuf

namespace bulkhead::ipc {

inline constexpr size_t kFrameHeaderSize = 4;
// kDefaultMaxFrameSize is in frame_limits.h.

// Grows `out` by one frame of `payload_size` bytes and writes its header;
// returns where the payload goes. InvalidArgument, with `out` unchanged, over
// `max_frame_size`.
absl::StatusOr<char*> AppendFrameHeader(size_t payload_size,
                                        uint32_t max_frame_size,
                                        std::string* out);

// Appends one frame holding `message` to `out`, serializing straight into it.
// InvalidArgument if the serialized message would exceed `max_frame_size`.
absl::Status AppendFrame(const google::protobuf::MessageLite& message,
                         uint32_t max_frame_size, std::string* out);

// Accumulates bytes from a stream and yields complete frame payloads.
// Not thread-safe; owned by one channel.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_size = kDefaultMaxFrameSize);

  // Space for the next read: at least `min_size` bytes, more when a large frame
  // is known to be coming. Valid until the next call on the decoder.
  absl::Span<char> PrepareWrite(size_t min_size);
  // Marks `size` bytes of the span from PrepareWrite as filled.
  void CommitWrite(size_t size);
  // Copies `bytes` in (PrepareWrite + CommitWrite).
  void Append(absl::string_view bytes);

  // The payload of the next complete frame, pointing into the decoder's buffer
  // and valid until the next PrepareWrite/Append; nullopt when more bytes are
  // needed. A header announcing more than the limit is an error
  // (InvalidArgument), found before any allocation for that frame; the decoder
  // stays failed after one.
  absl::StatusOr<std::optional<absl::string_view>> Next();

  // Bytes received but not yet returned as frames.
  size_t buffered() const { return end_ - begin_; }

 private:
  uint32_t max_frame_size_;
  // Never zero-filled: a read only touches the pages it fills, which in a
  // helper forked from a zygote is each a page fault and a copy.
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t begin_ = 0;  // First byte not yet consumed.
  size_t end_ = 0;    // One past the last byte received.
  bool failed_ = false;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_FRAME_CODEC_H_
