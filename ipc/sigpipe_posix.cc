#include <csignal>
#include <mutex>

#include "ipc/sigpipe.h"

namespace bulkhead::ipc {

void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace bulkhead::ipc
