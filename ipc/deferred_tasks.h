// `DeferredTasks`: runs work on a later turn of a loop, never inside the call
// that posts it. Bulkhead's rule, as libuv's: no completion runs inside the
// call that started it, even one that fails at once (a channel that is
// closed, a helper that is not ready), so that a completion may start the next
// call without recursing, and a caller sees its call return before its
// completion runs. Each object that takes completions owns one of these.
//
//   deferred_.PostCompletion(std::move(done), absl::UnavailableError("..."));
//
// Tasks posted in one turn run in the next, in the order posted; tasks that
// they post run in the turn after (so a chain of completions that each start
// the next call runs in constant stack). A task may destroy the owner (and so
// this object): the tasks of that turn not yet run are then run with
// CANCELLED by the destructor, as every task not yet run is.
//
// Thread: the loop's (checked in debug builds).
#ifndef BULKHEAD_IPC_DEFERRED_TASKS_H_
#define BULKHEAD_IPC_DEFERRED_TASKS_H_

#include <uv.h>

#include <deque>
#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "bulkhead/export.h"
#include "common/loop_thread_checker.h"
#include "ipc/uv_handle.h"

namespace bulkhead::ipc {

class BULKHEAD_EXPORT DeferredTasks {
 public:
  // Runs once: with OK on a later turn of the loop, or with CANCELLED when
  // this object is destroyed first (from its destructor; the task must not
  // touch an owner that is being destroyed then).
  using Task = absl::AnyInvocable<void(absl::Status)>;

  explicit DeferredTasks(uv_loop_t* loop);
  // Runs the tasks not yet run with CANCELLED.
  ~DeferredTasks();
  DeferredTasks(const DeferredTasks&) = delete;
  DeferredTasks& operator=(const DeferredTasks&) = delete;

  void Post(Task task);

  // Completes `done` with `status` on a later turn, or with CANCELLED when
  // this object is destroyed first. `Done` is any callable taking a Status
  // (or a StatusOr<T>, built from the non-OK `status`).
  template <typename Done>
  void PostCompletion(Done done, absl::Status status) {
    Post([done = std::move(done),
          status = std::move(status)](absl::Status run) mutable {
      done(run.ok() ? std::move(status) : std::move(run));
    });
  }

  size_t size() const { return tasks_.size(); }

  // The loop passes to another thread (see ipc::Channel's).
  void DetachFromLoopThread() { loop_thread_.Detach(); }

 private:
  void RunTurn();

  UvHandle<uv_idle_t> idle_;
  std::deque<Task> tasks_;
  // Cleared by the destructor, so that a task that destroys this stops the
  // turn that ran it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  LoopThreadChecker loop_thread_{"ipc::DeferredTasks"};
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_DEFERRED_TASKS_H_
