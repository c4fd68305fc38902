// Reads stdin lines on a thread of its own and hands them to the host's loop
// (through Host::Post, the only thread-safe entry). The thread may outlive
// the reader (it is blocked in a read); after the reader is destroyed it
// drops whatever it reads.
//
// It reads no further ahead than `kMaxLinesAhead` lines handed over and not
// yet said done (`LineDone`): input given faster than the app carries it out
// waits in the pipe, not in memory, and the loop is never flooded.
// A line longer than `kMaxLineBytes` is handed over cut to `kMaxLineBytes + 1`
// bytes (the rest read and dropped), so that the handler can tell it is one.
#ifndef BULKHEAD_BROWSER_HOST_COMMAND_READER_H_
#define BULKHEAD_BROWSER_HOST_COMMAND_READER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "host/host.h"

namespace bulkhead {

class CommandReader {
 public:
  // `handler` runs on the loop thread with each line, then once with nullopt
  // at end of input.
  using Handler = absl::AnyInvocable<void(std::optional<std::string> line)>;

  // Lines handed over and not yet done, at most.
  static constexpr size_t kMaxLinesAhead = 16;
  // The longest line handed over whole.
  static constexpr size_t kMaxLineBytes = 4096;

  CommandReader(Host& host, Handler handler);
  ~CommandReader();
  CommandReader(const CommandReader&) = delete;
  CommandReader& operator=(const CommandReader&) = delete;

  // A line handed to the handler has been carried out (or refused, or
  // dropped): the thread may read another. Once per line; any thread.
  void LineDone();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_COMMAND_READER_H_
