// Host::StartThread / StopThread: the host's loop on a thread of its own.
#include <cstdlib>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "host/host.h"

namespace bulkhead {

absl::Status Host::StartThread() {
  if (options_.loop != nullptr) {
    return absl::FailedPreconditionError(
        "the host runs on the app's loop, which the app runs");
  }
  if (thread_.joinable()) {
    return absl::FailedPreconditionError("the host's thread already runs");
  }
  // The host's thread binds the debug checks anew (nothing else may touch the
  // host meanwhile). Starting the thread orders everything this thread did to
  // the host before the loop's first callback.
  DetachFromLoopThread();
  thread_ = std::thread([this] { RunLoop(); });
  return absl::OkStatus();
}

void Host::StopThread() {
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    // Joining itself would never return.
    BH_LOG(kError, "Host::StopThread or ~Host on the host's own thread");
    std::abort();
  }
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    stop_thread_ = true;
    uv_async_send(wakeup_.get());
  }
  // Joining orders everything the host's thread did before whatever this
  // thread does next, the destructor's teardown included.
  thread_.join();
  DetachFromLoopThread();  // This thread's again.
  // The loop may have ended by Quit() before it saw the request.
  std::lock_guard<std::mutex> lock(posted_mutex_);
  stop_thread_ = false;
}

}  // namespace bulkhead
