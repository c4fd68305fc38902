// A quicker way than libuv's exit callback to learn that a child ended, where
// the platform has one. libuv hears of it through SIGCHLD: its signal handler
// writes to a self-pipe, the next loop turn reads it, and only then waitpid
// runs. On Linux the child's pidfd becomes readable the moment the child is a
// zombie, so the loop wakes for it directly and reaps it with waitid.
//
// Thread: the loop thread.
#ifndef BULKHEAD_HOST_LAUNCH_EXIT_WATCH_H_
#define BULKHEAD_HOST_LAUNCH_EXIT_WATCH_H_

#include <uv.h>

#include <cstdint>
#include <memory>

#include "host/launch/launcher.h"

namespace bulkhead {

class ExitWatch {
 public:
  // Stops watching; the exit callback will not run.
  virtual ~ExitWatch() = default;
};

// Whether WatchChildExit can watch anything here (Linux 5.4 and later: pidfds
// and waitid(P_PIDFD)); learnt once.
bool ExitWatchAvailable();

// Watches `pid`, a child of this process, on `loop`. When it has ended, reaps
// it and runs `on_exit` once with its exit code, or 0 and the signal that
// ended it (as libuv's exit callback would); `on_exit` may destroy the watch.
// Whoever reaps first wins: when libuv (if its process handle is still open)
// reaps the child before the watch does, `on_exit` never runs and libuv's
// exit callback reports it instead.
//
// Returns null where there is no such way (other platforms, kernels without
// pidfds): libuv's exit callback is then the only news.
std::unique_ptr<ExitWatch> WatchChildExit(uv_loop_t* loop, int64_t pid,
                                          ChildProcess::ExitCallback on_exit);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_EXIT_WATCH_H_
