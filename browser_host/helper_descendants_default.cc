#include "browser_host/launcher.h"

namespace bulkhead {

void KillHelperDescendants(int64_t) {}

}  // namespace bulkhead
