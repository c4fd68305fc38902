#include "host/launch/launcher_thread.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "common/status_macros.h"

namespace bulkhead {
namespace {

// std::mutex, not absl::Mutex: ThreadSanitizer must see these locks (see
// host.h).
struct Launcher {
  std::mutex mutex;  // Guards the members below.
  std::condition_variable wake;
  std::deque<absl::AnyInvocable<void()>> tasks;
  bool gate_open = true;
  std::thread::id id;
  uv_pid_t pid = 0;  // The process that started the thread.
};

std::mutex& LauncherMutex() {
  // Never destroyed: the thread outlives static destructors.
  static std::mutex* mutex = new std::mutex;
  return *mutex;
}

void Serve(Launcher* launcher) {
  for (;;) {
    std::unique_lock<std::mutex> lock(launcher->mutex);
    launcher->wake.wait(lock, [launcher] {
      return launcher->gate_open && !launcher->tasks.empty();
    });
    absl::AnyInvocable<void()> task = std::move(launcher->tasks.front());
    launcher->tasks.pop_front();
    lock.unlock();
    task();
  }
}

// The launcher thread, started on first use. Never stopped, never destroyed:
// it lives until the process exits (see the header). A forked copy of this
// process (which has no such thread) starts its own.
Launcher* GetLauncher() {
  std::lock_guard<std::mutex> lock(LauncherMutex());
  static Launcher* launcher = nullptr;
  if (launcher == nullptr || launcher->pid != uv_os_getpid()) {
    launcher = new Launcher;
    launcher->pid = uv_os_getpid();
    std::lock_guard<std::mutex> own(launcher->mutex);
    std::thread thread(Serve, launcher);
    launcher->id = thread.get_id();
    thread.detach();
  }
  return launcher;
}

void Queue(absl::AnyInvocable<void()> task) {
  Launcher* launcher = GetLauncher();
  std::lock_guard<std::mutex> lock(launcher->mutex);
  launcher->tasks.push_back(std::move(task));
  launcher->wake.notify_one();
}

}  // namespace

bool OnLauncherThread() {
  Launcher* launcher = GetLauncher();
  std::lock_guard<std::mutex> lock(launcher->mutex);
  return launcher->id == std::this_thread::get_id();
}

void RunOnLauncherThread(absl::FunctionRef<void()> task) {
  if (OnLauncherThread()) {
    task();
    return;
  }
  std::mutex mutex;
  std::condition_variable ran;
  bool done = false;
  Queue([&] {
    task();
    // Notified under the lock: the caller cannot return (and destroy these)
    // before this is done with them.
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    ran.notify_one();
  });
  std::unique_lock<std::mutex> lock(mutex);
  ran.wait(lock, [&] { return done; });
}

void SetLauncherThreadGateForTesting(bool open) {
  Launcher* launcher = GetLauncher();
  std::lock_guard<std::mutex> lock(launcher->mutex);
  launcher->gate_open = open;
  launcher->wake.notify_all();
}

struct PendingLaunch::State {
  std::mutex mutex;  // Guards the members below.
  std::condition_variable settled;
  enum class Phase { kQueued, kRunning, kDone, kCancelled };
  Phase phase = Phase::kQueued;
  // Sent once the work is done, unless cancelled first (uv_async_send is the
  // one libuv call another thread may make; never after the handle's close).
  uv_async_t* async = nullptr;
  absl::AnyInvocable<void()> work;
};

absl::StatusOr<std::unique_ptr<PendingLaunch>> PendingLaunch::Start(
    uv_loop_t* loop, absl::AnyInvocable<void()> work,
    absl::AnyInvocable<void()> done) {
  BH_ASSIGN_OR_RETURN(ipc::UvHandle<uv_async_t> async,
                      ipc::UvHandle<uv_async_t>::Init(loop, OnDone));
  return std::unique_ptr<PendingLaunch>(
      new PendingLaunch(std::move(async), std::move(work), std::move(done)));
}

PendingLaunch::PendingLaunch(ipc::UvHandle<uv_async_t> async,
                             absl::AnyInvocable<void()> work,
                             absl::AnyInvocable<void()> done)
    : state_(std::make_shared<State>()),
      async_(std::move(async)),
      done_(std::move(done)) {
  async_->data = this;
  state_->async = async_.get();
  state_->work = std::move(work);
  Queue([state = state_] {
    absl::AnyInvocable<void()> work;
    {
      std::lock_guard<std::mutex> lock(state->mutex);
      if (state->phase == State::Phase::kCancelled) return;
      state->phase = State::Phase::kRunning;
      work = std::move(state->work);
    }
    work();
    work = nullptr;  // What it owned goes here, before the loop hears.
    std::lock_guard<std::mutex> lock(state->mutex);
    state->phase = State::Phase::kDone;
    uv_async_send(state->async);
    state->settled.notify_all();
  });
}

PendingLaunch::~PendingLaunch() {
  absl::AnyInvocable<void()> work;
  {
    std::unique_lock<std::mutex> lock(state_->mutex);
    state_->settled.wait(
        lock, [this] { return state_->phase != State::Phase::kRunning; });
    state_->phase = State::Phase::kCancelled;
    state_->async = nullptr;
    work = std::move(state_->work);  // Never run: destroyed here.
  }
  async_.Close();
}

void PendingLaunch::OnDone(uv_async_t* async) {
  auto* self = static_cast<PendingLaunch*>(async->data);
  if (self == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(self->state_->mutex);
    if (self->state_->phase != State::Phase::kDone) return;
  }
  absl::AnyInvocable<void()> done = std::move(self->done_);
  self->done_ = nullptr;
  if (done) done();  // May destroy `self`: nothing after it.
}

}  // namespace bulkhead
