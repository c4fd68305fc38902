// Makes a helper die with its host even when the host is killed without a
// chance to clean up.
#ifndef BULKHEAD_HELPER_PARENT_WATCH_H_
#define BULKHEAD_HELPER_PARENT_WATCH_H_

#include "absl/status/status.h"

namespace bulkhead {

// Ends the helper (kExitChannelLost) when its parent, the host, dies, even
// while the helper's loop is blocked and would never read its channel's end:
// Linux: PR_SET_PDEATHSIG(SIGKILL); macOS: a thread waiting in kevent for the
// parent's NOTE_EXIT; another POSIX system: a thread polling getppid() every
// 100 ms. Each exits at once if the helper was orphaned already (off Linux:
// if its parent is init; one reparented to a subreaper is not told apart,
// docs/platforms.md). Windows: nothing here, the job object kills its
// processes with the host.
absl::Status DieWithParent();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_PARENT_WATCH_H_
