// Copies forwarded helper output to one of the host's own streams without
// ever blocking the host's loop on it.
//
// Whatever reads the host's stdout or stderr (a terminal, a pipe into a log
// collector, a test harness) may be slow or may stop reading; a write to it
// then blocks until it reads again. Helper lines are therefore queued, and a
// thread of the writer's own writes them; the queue is bounded, and lines
// that find it full are dropped and counted, never waited for. When the
// writer catches up after dropping, it writes one line saying how many were
// lost. The thread runs while there is something to write and ends after a
// short idle spell; a reader that never reads again keeps it blocked in its
// write until the process exits (it holds nothing the loop needs).
//
// Thread: `Write`, `Flush` and the counters may be called from any thread.
#ifndef BULKHEAD_HOST_OUTPUT_WRITER_H_
#define BULKHEAD_HOST_OUTPUT_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace bulkhead {

class OutputWriter {
 public:
  // Bytes queued (and being written) past which lines are dropped.
  static constexpr size_t kDefaultMaxQueuedBytes = 1u << 20;

  // The writers of the host's own stdout and stderr, shared by every host in
  // the process (the streams are the process's); never destroyed.
  static OutputWriter& Stdout();
  static OutputWriter& Stderr();

  // Writes to `sink` (not owned; must outlive the writer's thread: see the
  // destructor).
  explicit OutputWriter(std::FILE* sink,
                        size_t max_queued_bytes = kDefaultMaxQueuedBytes);
  // Drops what is still queued and waits (up to a second) for the thread to
  // finish the write it is in; a thread blocked longer finishes alone.
  ~OutputWriter();
  OutputWriter(const OutputWriter&) = delete;
  OutputWriter& operator=(const OutputWriter&) = delete;

  // Queues `text`, `lines` whole lines, to be written in one piece. False
  // when the queue has no room: the lines are dropped and counted.
  bool Write(std::string text, size_t lines);
  // Waits until everything queued so far has been written, at most `timeout`;
  // whether it was.
  bool Flush(absl::Duration timeout);

  // Lines dropped so far for want of room.
  uint64_t dropped_lines() const;

 private:
  struct State;  // Shared with the thread, which may outlive the writer.
  static void Run(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_OUTPUT_WRITER_H_
