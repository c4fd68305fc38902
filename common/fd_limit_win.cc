#include "common/fd_limit.h"

namespace bulkhead {

// Windows limits handles per process only by memory (16 Mi): nothing to do.
absl::StatusOr<uint64_t> RaiseFdLimitToHard() { return 0; }

}  // namespace bulkhead
