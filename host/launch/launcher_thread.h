// The launcher thread: every process the host starts (uv_spawn'ed helpers, the
// zygote, sandboxed helpers' namespace inits) is forked on this one thread,
// as Chrome forks on its process-launcher thread.
//
// Why one thread, and why it lives as long as the process: on Linux a child's
// parent-death signal (PR_SET_PDEATHSIG, which every helper, zygote and
// namespace init sets) fires when the *thread* that forked it exits, not the
// process. Forked from the host's loop thread, helpers would die whenever
// that thread ends (`Host::StopThread`). This thread is started at the first
// launch and never exits before the process does, so a helper's parent-death
// signal means the host process is gone.
//
// It also takes the slow part of a launch off the loop thread: a sandboxed
// launch waits for its helper's exec here (`PendingLaunch`), while the loop
// keeps serving.
#ifndef BULKHEAD_HOST_LAUNCH_LAUNCHER_THREAD_H_
#define BULKHEAD_HOST_LAUNCH_LAUNCHER_THREAD_H_

#include <uv.h>

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

// Runs `task` on the launcher thread (started on first use) and returns once
// it has run; tasks run one at a time, in the order given. The calling thread
// blocks meanwhile, so `task` may use what the caller owns, libuv handles of
// the caller's loop included. On the launcher thread itself, runs `task` at
// once. Thread-safe.
void RunOnLauncherThread(absl::FunctionRef<void()> task);

// Whether the calling thread is the launcher thread.
bool OnLauncherThread();

// Work that runs on the launcher thread and then reports on a loop's thread.
// Thread: created, used and destroyed on the thread that runs `loop`.
class PendingLaunch {
 public:
  // Queues `work` for the launcher thread; once it has run, `done` runs on
  // `loop`'s thread (from a uv_async_t, in the loop's order of events).
  // `work` must not touch the loop or anything of the loop thread's; what it
  // produces reaches `done` through state they share (the hand-over orders
  // the two). Fails, queueing nothing, when the uv_async_t cannot be made.
  static absl::StatusOr<std::unique_ptr<PendingLaunch>> Start(
      uv_loop_t* loop, absl::AnyInvocable<void()> work,
      absl::AnyInvocable<void()> done);
  // Cancels: `done` never runs after this. `work` that has not begun never
  // runs; `work` running now is waited for. Both closures are destroyed
  // before this returns, so what they own (e.g. a child that the work
  // started, killed and reaped by its owner's destructor) goes with them.
  // May be called from `done` itself.
  ~PendingLaunch();
  PendingLaunch(const PendingLaunch&) = delete;
  PendingLaunch& operator=(const PendingLaunch&) = delete;

 private:
  struct State;
  PendingLaunch(ipc::UvHandle<uv_async_t> async,
                absl::AnyInvocable<void()> work,
                absl::AnyInvocable<void()> done);
  static void OnDone(uv_async_t* async);

  std::shared_ptr<State> state_;
  ipc::UvHandle<uv_async_t> async_;
  absl::AnyInvocable<void()> done_;
};

// For tests: while closed, the launcher thread starts no task (those given
// meanwhile wait, and so do their callers). Opened again, it runs them in
// order. Thread-safe.
void SetLauncherThreadGateForTesting(bool open);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_LAUNCHER_THREAD_H_
