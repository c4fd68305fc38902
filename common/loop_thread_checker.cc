#include "common/loop_thread_checker.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace bulkhead {

void LoopThreadChecker::Check(const char* function) const {
  const std::thread::id self = std::this_thread::get_id();
  std::thread::id bound;
  if (thread_.compare_exchange_strong(bound, self, std::memory_order_relaxed) ||
      bound == self) {
    return;
  }
  // Straight to stderr, whatever the log level: the process ends here.
  std::ostringstream message;
  message << "bulkhead: " << owner_ << "::" << function << " called on thread "
          << self << ", but the " << owner_ << " belongs to its loop's thread "
          << bound << " (LoopThreadChecker)\n";
  const std::string text = message.str();
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace bulkhead
