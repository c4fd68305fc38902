// Reaping a sandbox's init without waiting for it on the loop.
//
// A sandboxed helper's init (sandbox_child_linux.h) outlives the helper: once
// it has reported how the helper ended, or once it is killed, it exits only
// after the kernel has emptied its pid namespace, and it has lowered itself to
// SCHED_IDLE for that, so on a busy machine its end can take seconds. A
// NamespacedChildProcess destroyed before then hands init to ReapInitLater:
// the loop reaps it once its pidfd says it has exited, and only then removes
// the helper's cgroup (which cannot be removed while the namespace has
// processes). The loop is never blocked for it. FinishPendingReaps
// (launcher.h) kills what is still pending (its end was reported already)
// and reaps it, waiting for each.
//
// Thread: the loop's. The list of pending reaps is shared by every loop of
// the process (each host has its own) and guarded.
#ifndef BULKHEAD_HOST_LAUNCH_INIT_REAPER_LINUX_H_
#define BULKHEAD_HOST_LAUNCH_INIT_REAPER_LINUX_H_

#include <uv.h>

#include <memory>

#include "common/platform_handle.h"
#include "host/launch/helper_cgroup_linux.h"

namespace bulkhead {

// Reaps the process `pidfd` names (a child of this process, already killed or
// on its way out) and then destroys `cgroup` (may be null): at once when it
// has exited, otherwise on `loop` once it has. If the loop cannot watch it,
// waits for it here.
void ReapInitLater(uv_loop_t* loop, ScopedHandle pidfd,
                   std::unique_ptr<HelperCgroup> cgroup);

// Reaps the child `pidfd` names; `wait`: blocks until it has exited. Whether
// nothing is left to reap: reaped here, or already gone (ECHILD: an
// embedding app reaped it itself). False: still running.
bool ReapPidfd(int pidfd, bool wait);

// How many reaps are pending on `loop`: for tests.
int PendingReapsForTesting(uv_loop_t* loop);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_INIT_REAPER_LINUX_H_
