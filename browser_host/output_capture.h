// One of a helper's text streams (stdout or stderr) as the host reads it:
// each line is copied to the host's own stream with a "[role-id pid] " prefix,
// and the last lines are kept for the helper's ExitInfo. Memory is bounded
// (LineBuffer).
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_BROWSER_HOST_OUTPUT_CAPTURE_H_
#define BULKHEAD_BROWSER_HOST_OUTPUT_CAPTURE_H_

#include <uv.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "browser_host/line_buffer.h"
#include "browser_host/pipe_reader.h"

namespace bulkhead {

class OutputCapture {
 public:
  // Lines go to `sink` (not owned) when `forward` is set.
  OutputCapture(uv_loop_t* loop, std::FILE* sink, bool forward);

  // The pipe to hand to the launcher before Start().
  uv_pipe_t* pipe() { return reader_.pipe(); }
  // Starts reading; `on_eof` runs once at end-of-stream and may destroy this.
  absl::Status Start(std::string prefix, absl::AnyInvocable<void()> on_eof);
  bool is_open() const { return reader_.is_open(); }
  std::vector<std::string> last_lines() const { return lines_.last_lines(); }

 private:
  std::FILE* const sink_;
  const bool forward_;
  std::string prefix_;
  LineBuffer lines_;
  PipeReader reader_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_OUTPUT_CAPTURE_H_
