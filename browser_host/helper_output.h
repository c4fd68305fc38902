// A helper's stderr as the host reads it: each line is forwarded to the host's
// own stderr with a "[role-id pid]" prefix, and the last lines are kept for the
// helper's ExitInfo. Memory is bounded (see LineBuffer).
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_BROWSER_HOST_HELPER_OUTPUT_H_
#define BULKHEAD_BROWSER_HOST_HELPER_OUTPUT_H_

#include <uv.h>

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "browser_host/line_buffer.h"

namespace bulkhead {

class HelperOutput {
 public:
  explicit HelperOutput(uv_loop_t* loop);
  ~HelperOutput();
  HelperOutput(const HelperOutput&) = delete;
  HelperOutput& operator=(const HelperOutput&) = delete;

  // The pipe to hand to uv_spawn as the helper's stderr (UV_CREATE_PIPE).
  uv_pipe_t* pipe() { return pipe_; }

  // Starts reading. `prefix` starts every forwarded line; lines are forwarded
  // only when `forward` is set. `on_eof` runs once when the helper's end is
  // closed (normally: it exited).
  absl::Status Start(std::string prefix, bool forward,
                     absl::AnyInvocable<void()> on_eof);

  bool is_open() const { return open_; }
  std::vector<std::string> last_lines() const { return lines_.last_lines(); }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void Forward(absl::string_view line);
  void OnEof();

  uv_pipe_t* pipe_;  // Freed by its close callback.
  bool open_ = false;
  bool forward_ = false;
  std::string prefix_;
  LineBuffer lines_;
  char read_buffer_[16 * 1024];
  absl::AnyInvocable<void()> on_eof_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_HELPER_OUTPUT_H_
