// One of a helper's text streams (stdout or stderr) as the host reads it:
// each line is copied to the host's own stream with a "[role-id pid] " prefix
// (through an OutputWriter, so that a host whose own output is read slowly
// drops lines instead of stalling its loop), and the last lines are kept for
// the helper's ExitInfo. Memory is bounded (LineBuffer, OutputWriter).
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_HOST_OUTPUT_CAPTURE_H_
#define BULKHEAD_HOST_OUTPUT_CAPTURE_H_

#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "host/line_buffer.h"
#include "host/output_writer.h"
#include "host/pipe_reader.h"

namespace bulkhead {

class OutputCapture {
 public:
  // Lines go to `writer` (not owned; must outlive this), none when it is
  // null.
  OutputCapture(uv_loop_t* loop, OutputWriter* writer);

  // The pipe to hand to the launcher before Start().
  uv_pipe_t* pipe() { return reader_.pipe(); }
  // Starts reading; `on_eof` runs once at end-of-stream and may destroy this.
  absl::Status Start(std::string prefix, absl::AnyInvocable<void()> on_eof);
  bool is_open() const { return reader_.is_open(); }
  std::vector<std::string> last_lines() const { return lines_.last_lines(); }
  // Lines the writer had no room for.
  uint64_t lines_dropped() const { return lines_dropped_; }

 private:
  // Hands the lines of one read to the writer, in one piece.
  void Forward();

  OutputWriter* const writer_;
  std::string prefix_;
  std::string forwarded_;  // The current read's lines, prefixed.
  size_t forwarded_lines_ = 0;
  uint64_t lines_dropped_ = 0;
  LineBuffer lines_;
  PipeReader reader_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_OUTPUT_CAPTURE_H_
