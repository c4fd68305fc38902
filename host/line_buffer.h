// Splits a byte stream (a helper's stderr) into lines, with bounded memory: a
// line longer than the limit is cut, and only the last few lines are kept for
// the helper's ExitInfo. A helper that spams stderr cannot grow the host.
#ifndef BULKHEAD_HOST_LINE_BUFFER_H_
#define BULKHEAD_HOST_LINE_BUFFER_H_

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"

namespace bulkhead {

class LineBuffer {
 public:
  struct Limits {
    size_t max_line_bytes = 4096;  // Longer lines are cut and marked.
    size_t lines_kept = 20;        // How many of the last lines to remember.
  };
  using LineHandler = absl::AnyInvocable<void(absl::string_view line)>;

  LineBuffer(Limits limits, LineHandler on_line);
  explicit LineBuffer(LineHandler on_line)
      : LineBuffer(Limits(), std::move(on_line)) {}

  // Feeds bytes; `on_line` runs for each complete line (without its '\n').
  void Append(absl::string_view bytes);
  // End of stream: a final unterminated line is emitted.
  void Finish();

  // The last `lines_kept` lines, oldest first.
  std::vector<std::string> last_lines() const;
  // Lines seen in all, and bytes dropped from over-long lines.
  size_t line_count() const { return line_count_; }
  size_t bytes_dropped() const { return bytes_dropped_; }

 private:
  void Emit();

  const Limits limits_;
  LineHandler on_line_;
  std::string partial_;
  bool partial_cut_ = false;
  std::deque<std::string> last_;
  size_t line_count_ = 0;
  size_t bytes_dropped_ = 0;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LINE_BUFFER_H_
