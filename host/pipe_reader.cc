#include "host/pipe_reader.h"

#include <utility>

#include "ipc/uv_status.h"

namespace bulkhead {

PipeReader::PipeReader(uv_loop_t* loop) : pipe_(loop, /*ipc=*/0) {
  pipe_->data = this;
}

PipeReader::~PipeReader() = default;

absl::Status PipeReader::Start(DataHandler on_data, EofHandler on_eof) {
  on_data_ = std::move(on_data);
  on_eof_ = std::move(on_eof);
  const int rc = uv_read_start(pipe_.stream(), OnAlloc, OnRead);
  if (rc != 0) return ipc::UvErrorToStatus(rc, "uv_read_start");
  open_ = true;
  return absl::OkStatus();
}

void PipeReader::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<PipeReader*>(handle->data);
  *buf = uv_buf_init(self->buffer_, sizeof(self->buffer_));
}

void PipeReader::OnRead(uv_stream_t* stream, ssize_t nread,
                        const uv_buf_t* buf) {
  auto* self = static_cast<PipeReader*>(stream->data);
  if (self == nullptr || nread == 0) return;
  if (nread > 0) {
    if (self->on_data_) {
      self->on_data_(absl::string_view(buf->base, static_cast<size_t>(nread)));
    }
    return;
  }
  uv_read_stop(stream);
  self->open_ = false;
  EofHandler on_eof = std::move(self->on_eof_);
  if (on_eof) on_eof();  // Last: may destroy `self`.
}

}  // namespace bulkhead
