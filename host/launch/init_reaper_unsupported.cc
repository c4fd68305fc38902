#include "host/launch/launcher.h"

namespace bulkhead {

// Only Linux's sandboxed helpers leave a process to reap after their end.
void FinishPendingReaps(uv_loop_t*) {}

}  // namespace bulkhead
