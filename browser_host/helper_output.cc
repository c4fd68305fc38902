#include "browser_host/helper_output.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ipc/uv_status.h"

namespace bulkhead {

HelperOutput::HelperOutput(uv_loop_t* loop)
    : pipe_(new uv_pipe_t),
      lines_([this](absl::string_view line) { Forward(line); }) {
  uv_pipe_init(loop, pipe_, 0);
  pipe_->data = this;
}

HelperOutput::~HelperOutput() {
  pipe_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(pipe_), [](uv_handle_t* handle) {
    delete reinterpret_cast<uv_pipe_t*>(handle);
  });
}

absl::Status HelperOutput::Start(std::string prefix, bool forward,
                                 absl::AnyInvocable<void()> on_eof) {
  prefix_ = std::move(prefix);
  forward_ = forward;
  on_eof_ = std::move(on_eof);
  const int rc =
      uv_read_start(reinterpret_cast<uv_stream_t*>(pipe_), OnAlloc, OnRead);
  if (rc != 0) return ipc::UvErrorToStatus(rc, "reading helper stderr");
  open_ = true;
  return absl::OkStatus();
}

void HelperOutput::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<HelperOutput*>(handle->data);
  *buf = uv_buf_init(self->read_buffer_, sizeof(self->read_buffer_));
}

void HelperOutput::OnRead(uv_stream_t* stream, ssize_t nread,
                          const uv_buf_t* buf) {
  auto* self = static_cast<HelperOutput*>(stream->data);
  if (self == nullptr || nread == 0) return;
  if (nread < 0) {
    self->OnEof();
    return;
  }
  self->lines_.Append(absl::string_view(buf->base, static_cast<size_t>(nread)));
}

void HelperOutput::Forward(absl::string_view line) {
  if (!forward_) return;
  const std::string text = absl::StrCat(prefix_, line, "\n");
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void HelperOutput::OnEof() {
  uv_read_stop(reinterpret_cast<uv_stream_t*>(pipe_));
  lines_.Finish();
  open_ = false;
  if (on_eof_) {
    auto on_eof = std::move(on_eof_);
    on_eof_ = nullptr;
    on_eof();  // Last: may destroy this object.
  }
}

}  // namespace bulkhead
