#include "ipc/frame_writer.h"

#include <algorithm>
#include <utility>

namespace bulkhead::ipc {
namespace {

// A buffer larger than this after a big burst is freed rather than kept: a host
// with many helpers must not hold each one's largest burst forever. Up to it,
// keeping the buffers is what makes a stream of 1 MiB payloads fast (freeing
// and faulting in fresh pages for every one ran at a third of the rate).
constexpr size_t kMaxKeptCapacity = 4 << 20;
// uv_buf_t lengths are 32-bit on Windows.
constexpr size_t kMaxWrite = 1u << 30;

}  // namespace

struct FrameWriter::InFlight {
  uv_write_t request;
  std::string data;
  bool busy = false;
  FrameWriter* owner = nullptr;  // nullptr once the writer is destroyed.
};

FrameWriter::FrameWriter(absl::AnyInvocable<void(int status)> on_write_done)
    : on_write_done_(std::move(on_write_done)) {}

FrameWriter::~FrameWriter() {
  if (in_flight_ == nullptr) return;
  if (in_flight_->busy) {
    in_flight_->owner = nullptr;  // OnWriteDone frees it.
  } else {
    delete in_flight_;
  }
}

bool FrameWriter::write_in_flight() const {
  return in_flight_ != nullptr && in_flight_->busy;
}

void FrameWriter::Recycle(std::string* buffer) {
  buffer->clear();
  if (buffer->capacity() > kMaxKeptCapacity) std::string().swap(*buffer);
}

void FrameWriter::DropQueued() { Recycle(&queued_); }

int FrameWriter::Flush(uv_stream_t* stream) {
  if (write_in_flight() || queued_.empty()) return 0;
  size_t written = 0;
  // The kernel usually takes everything at once: no request, no callback.
  while (written < queued_.size()) {
    const size_t chunk = std::min(queued_.size() - written, kMaxWrite);
    uv_buf_t buf =
        uv_buf_init(queued_.data() + written, static_cast<unsigned>(chunk));
    const int rc = uv_try_write(stream, &buf, 1);
    if (rc == UV_EAGAIN || rc == UV_ENOSYS) break;  // Full, or unsupported.
    if (rc < 0) {
      DropQueued();
      return rc;
    }
    ++writes_;
    written += static_cast<size_t>(rc);
    if (static_cast<size_t>(rc) < chunk) break;  // The kernel buffer is full.
  }
  if (written == queued_.size()) {
    Recycle(&queued_);
    return 0;
  }
  // The rest goes through libuv, which writes it as the peer reads.
  if (in_flight_ == nullptr) in_flight_ = new InFlight;
  in_flight_->owner = this;
  in_flight_->data.swap(queued_);  // `queued_` gets the spare, empty buffer.
  in_flight_->busy = true;
  const size_t remaining = in_flight_->data.size() - written;
  in_flight_bytes_ = remaining;
  // Larger than kMaxWrite only on Windows pipes, which take no uv_try_write.
  uv_buf_t bufs[4];
  unsigned count = 0;
  for (size_t offset = written; offset < in_flight_->data.size() && count < 4;
       ++count) {
    const size_t chunk = std::min(in_flight_->data.size() - offset, kMaxWrite);
    bufs[count] = uv_buf_init(in_flight_->data.data() + offset,
                              static_cast<unsigned>(chunk));
    offset += chunk;
  }
  const int rc = uv_write(&in_flight_->request, stream, bufs, count,
                          &FrameWriter::OnWriteDone);
  ++writes_;
  if (rc != 0) {
    in_flight_->busy = false;
    in_flight_bytes_ = 0;
    Recycle(&in_flight_->data);
    return rc;
  }
  return 0;
}

void FrameWriter::FlushBeforeClose(uv_stream_t* stream) {
  (void)Flush(stream);
  DropQueued();
}

void FrameWriter::OnWriteDone(uv_write_t* request, int status) {
  auto* in_flight = reinterpret_cast<InFlight*>(request);
  FrameWriter* writer = in_flight->owner;
  if (writer == nullptr) {
    delete in_flight;  // The writer is gone.
    return;
  }
  in_flight->busy = false;
  Recycle(&in_flight->data);
  writer->in_flight_bytes_ = 0;
  writer->on_write_done_(status);  // May destroy the writer: last.
}

}  // namespace bulkhead::ipc
