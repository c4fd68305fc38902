#include "ipc/frame_codec.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "google/protobuf/message_lite.h"

namespace bulkhead::ipc {
namespace {

uint32_t LoadLittleEndian32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) |
         (static_cast<uint32_t>(b[3]) << 24);
}

void StoreLittleEndian32(uint32_t value, char* p) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

}  // namespace

absl::StatusOr<char*> AppendFrameHeader(size_t payload_size,
                                        uint32_t max_frame_size,
                                        std::string* out) {
  if (payload_size > max_frame_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message of ", payload_size, " bytes exceeds the frame limit of ",
        max_frame_size, " bytes"));
  }
  const size_t start = out->size();
  out->resize(start + kFrameHeaderSize + payload_size);
  char* header = out->data() + start;
  StoreLittleEndian32(static_cast<uint32_t>(payload_size), header);
  return header + kFrameHeaderSize;
}

absl::Status AppendFrame(const google::protobuf::MessageLite& message,
                         uint32_t max_frame_size, std::string* out) {
  absl::StatusOr<char*> payload =
      AppendFrameHeader(message.ByteSizeLong(), max_frame_size, out);
  if (!payload.ok()) return payload.status();
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(*payload));
  return absl::OkStatus();
}

FrameDecoder::FrameDecoder(uint32_t max_frame_size)
    : max_frame_size_(max_frame_size) {}

absl::Span<char> FrameDecoder::PrepareWrite(size_t min_size) {
  // Move the unconsumed tail (at most one partial frame) to the front.
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  size_t wanted = end_ + min_size;
  // When the header of a large frame is already here, make room for all of it
  // at once so that it arrives in as few reads as the kernel allows. The limit
  // was checked by Next().
  if (!failed_ && end_ >= kFrameHeaderSize) {
    const uint32_t length = LoadLittleEndian32(buffer_.get());
    if (length <= max_frame_size_) {
      wanted = std::max(wanted, kFrameHeaderSize + static_cast<size_t>(length));
    }
  }
  if (capacity_ < wanted) {
    const size_t capacity = std::max(wanted, capacity_ * 2);
    // Default-initialised: not zeroed.
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (end_ > 0) std::memcpy(grown.get(), buffer_.get(), end_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  return absl::Span<char>(buffer_.get() + end_, capacity_ - end_);
}

void FrameDecoder::CommitWrite(size_t size) {
  end_ = std::min(end_ + size, capacity_);
}

void FrameDecoder::Append(absl::string_view bytes) {
  // memcpy from or to a null pointer is undefined even for zero bytes, and both
  // can be null here (an empty view, a buffer never allocated).
  if (bytes.empty()) return;
  absl::Span<char> space = PrepareWrite(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  CommitWrite(bytes.size());
}

absl::StatusOr<std::optional<absl::string_view>> FrameDecoder::Next() {
  if (failed_)
    return absl::FailedPreconditionError("frame decoder failed earlier");
  const size_t available = end_ - begin_;
  if (available < kFrameHeaderSize) return std::nullopt;
  const uint32_t length = LoadLittleEndian32(buffer_.get() + begin_);
  if (length > max_frame_size_) {
    failed_ = true;
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", length, " bytes exceeds the limit of ",
                     max_frame_size_, " bytes"));
  }
  if (available - kFrameHeaderSize < length) return std::nullopt;
  absl::string_view payload(buffer_.get() + begin_ + kFrameHeaderSize, length);
  begin_ += kFrameHeaderSize + length;
  if (begin_ == end_)
    begin_ = end_ = 0;  // Common case: the read ended on a frame boundary.
  return payload;
}

}  // namespace bulkhead::ipc
