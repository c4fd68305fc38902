// Makes a helper die with its host even when the host is killed without a
// chance to clean up.
#ifndef BULKHEAD_HELPER_PARENT_WATCH_H_
#define BULKHEAD_HELPER_PARENT_WATCH_H_

#include "absl/status/status.h"

namespace bulkhead {

// Linux: PR_SET_PDEATHSIG(SIGKILL), and exits at once if the parent is already
// gone. Elsewhere a no-op: channel EOF (all platforms) and the job object
// (Windows) cover it.
absl::Status DieWithParent();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_PARENT_WATCH_H_
