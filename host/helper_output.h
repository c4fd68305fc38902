// What a helper writes besides its channel, as the host reads it: stdout and
// stderr (each line forwarded with a "[role-id pid] " prefix, the last stderr
// lines kept for its ExitInfo) and the crash pipe its crash handler writes a
// CrashRecord to. Part of HelperProcess, apart so that helper_process.h does
// not pull the pipe readers into the installed headers.
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_HOST_HELPER_OUTPUT_H_
#define BULKHEAD_HOST_HELPER_OUTPUT_H_

#include <uv.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "host/output_capture.h"
#include "host/pipe_reader.h"

namespace bulkhead {

class HelperOutput {
 public:
  // Lines are copied to the host's stdout and stderr when `forward` is set
  // (through OutputWriter::Stdout() and Stderr(): never blocking the loop).
  // `executable` is the helper's (empty: this very binary), for naming a
  // crash record's stack.
  HelperOutput(uv_loop_t* loop, bool forward, std::string executable);
  HelperOutput(const HelperOutput&) = delete;
  HelperOutput& operator=(const HelperOutput&) = delete;

  // The pipes to hand to the launcher (ChildStdio) before Start().
  uv_pipe_t* stdout_pipe() { return stdout_.pipe(); }
  uv_pipe_t* stderr_pipe() { return stderr_.pipe(); }
  uv_pipe_t* crash_pipe() { return crash_pipe_.pipe(); }

  // Starts reading the three pipes; forwarded lines get `prefix`. `on_eof`
  // runs at each one's end-of-stream (a copy per pipe, so up to three times)
  // and may destroy this object. Stops at the first pipe that cannot be read.
  absl::Status Start(const std::string& prefix, std::function<void()> on_eof);
  // Whether any of the pipes has yet to reach end-of-stream.
  bool still_open() const;
  // Lines of the helper's stdout and stderr not copied to the host's because
  // the host's own output was not read fast enough (OutputWriter).
  uint64_t lines_dropped() const {
    return stdout_.lines_dropped() + stderr_.lines_dropped();
  }

  // The last lines of the helper's stderr, oldest first.
  std::vector<std::string> last_stderr_lines() const {
    return stderr_.last_lines();
  }
  // The stack in the helper's crash record, symbolized (in process when the
  // helper runs this very binary); empty without a record. Called once, at
  // the exit report.
  std::vector<std::string> CrashStack();
  // kSandboxViolation: the system call the crash record names, or "unknown".
  std::string ViolatingSyscall() const;

 private:
  // Names the stack as soon as `crash_bytes_` holds one whole record: it
  // usually arrives hundreds of microseconds before the kernel has torn the
  // helper down, so the naming is off the path from exit to report.
  void SymbolizeCompleteRecord();

  OutputCapture stdout_;
  OutputCapture stderr_;
  PipeReader crash_pipe_;
  const std::string executable_;
  std::string crash_bytes_;  // At most kMaxCrashRecordBytes + 1.
  // `crash_bytes_` symbolised when they first formed a whole record, and how
  // many bytes that was (0: never).
  std::vector<std::string> crash_stack_;
  size_t crash_stack_bytes_ = 0;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_HELPER_OUTPUT_H_
