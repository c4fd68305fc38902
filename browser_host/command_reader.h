// Reads stdin lines on a thread of its own and hands them to the host's loop
// (through Host::Post, the only thread-safe entry). The thread may outlive
// the reader (it is blocked in a read); after the reader is destroyed it
// drops whatever it reads.
#ifndef BULKHEAD_BROWSER_HOST_COMMAND_READER_H_
#define BULKHEAD_BROWSER_HOST_COMMAND_READER_H_

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

  CommandReader(Host& host, Handler handler);
  ~CommandReader();
  CommandReader(const CommandReader&) = delete;
  CommandReader& operator=(const CommandReader&) = delete;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_COMMAND_READER_H_
