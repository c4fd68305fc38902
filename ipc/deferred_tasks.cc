#include "ipc/deferred_tasks.h"

#include <vector>

namespace bulkhead::ipc {

DeferredTasks::DeferredTasks(uv_loop_t* loop) : idle_(loop) {
  idle_->data = this;
}

DeferredTasks::~DeferredTasks() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  *alive_ = false;
  idle_.Close();
  // A task may post more while it is cancelled: those are cancelled too.
  while (!tasks_.empty()) {
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    task(absl::CancelledError("deferred task's owner destroyed"));
  }
}

void DeferredTasks::Post(Task task) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  tasks_.push_back(std::move(task));
  // An idle handle makes the loop poll without blocking while tasks wait.
  if (tasks_.size() == 1) {
    uv_idle_start(idle_.get(), [](uv_idle_t* idle) {
      if (auto* self = static_cast<DeferredTasks*>(idle->data)) self->RunTurn();
    });
  }
}

void DeferredTasks::RunTurn() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  // Only the tasks posted before this turn: those they post wait for the next.
  size_t count = tasks_.size();
  std::shared_ptr<bool> alive = alive_;
  while (count-- > 0 && *alive) {
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    task(absl::OkStatus());
  }
  if (*alive && tasks_.empty()) uv_idle_stop(idle_.get());
}

}  // namespace bulkhead::ipc
