// Reads one of a helper's output pipes (stderr, the crash pipe) on the loop
// until end-of-stream. Owns the uv_pipe_t that uv_spawn connects.
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_HOST_PIPE_READER_H_
#define BULKHEAD_HOST_PIPE_READER_H_

#include <uv.h>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class PipeReader {
 public:
  using DataHandler = absl::AnyInvocable<void(absl::string_view bytes)>;
  using EofHandler = absl::AnyInvocable<void()>;

  explicit PipeReader(uv_loop_t* loop);
  ~PipeReader();
  PipeReader(const PipeReader&) = delete;
  PipeReader& operator=(const PipeReader&) = delete;

  // The pipe to hand to uv_spawn (UV_CREATE_PIPE) before Start().
  uv_pipe_t* pipe() { return pipe_.get(); }

  // Starts reading. `on_data` gets each chunk; `on_eof` runs once at
  // end-of-stream or on a read error, and may destroy the reader.
  absl::Status Start(DataHandler on_data, EofHandler on_eof);
  bool is_open() const { return open_; }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

  ipc::UvHandle<uv_pipe_t> pipe_;
  bool open_ = false;
  DataHandler on_data_;
  EofHandler on_eof_;
  char buffer_[16 * 1024];
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_PIPE_READER_H_
