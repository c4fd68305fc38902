#include "host/exit_classification.h"

namespace bulkhead {

ProcessEnd ProcessEndFromUv(int64_t exit_status, int term_signal) {
  ProcessEnd end;
  end.exit_status = exit_status;
  end.term_signal = term_signal;
  return end;
}

}  // namespace bulkhead
