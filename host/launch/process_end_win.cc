#include "host/exit_classification.h"

namespace bulkhead {

ProcessEnd ProcessEndFromUv(int64_t exit_status, int term_signal) {
  return ProcessEndFromWindowsExit(exit_status, term_signal);
}

}  // namespace bulkhead
