// Internal to the helper runtime (not installed): HelperContext::OpenFile's
// side of the file broker (host/file_broker.h). Asks the host over the
// channel and completes each request once, always from the loop, never inside
// Open itself.
//
// Thread: the helper's loop thread.
#ifndef BULKHEAD_HELPER_FILE_CLIENT_H_
#define BULKHEAD_HELPER_FILE_CLIENT_H_

#include <uv.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "common/platform_handle.h"
#include "ipc/channel.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class FileClient {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<ScopedHandle>)>;

  // Requests asked and not yet answered, at most; beyond, RESOURCE_EXHAUSTED
  // (the host bounds a helper that ignores this too: FileBroker::RateLimit).
  static constexpr size_t kMaxOutstanding = 64;
  // How long the host may take to answer one.
  static constexpr absl::Duration kTimeout = absl::Seconds(30);

  // `loop` and `channel` are not owned and outlive the client.
  FileClient(uv_loop_t* loop, ipc::Channel* channel);
  // Requests not answered yet complete with CANCELLED: those already answered
  // and waiting for the loop at once, here; those still with the host when
  // the channel is destroyed (the channel's CANCELLED).
  ~FileClient();
  FileClient(const FileClient&) = delete;
  FileClient& operator=(const FileClient&) = delete;

  void Open(std::string path, int flags, Done done);

  size_t outstanding() const { return *outstanding_; }

 private:
  // Completes `done` with `result` from the loop's next turn.
  void Defer(Done done, absl::StatusOr<ScopedHandle> result);
  static void OnTimer(uv_timer_t* timer);

  ipc::Channel* const channel_;  // Not owned.
  ipc::UvHandle<uv_timer_t> timer_;
  std::deque<std::pair<Done, absl::StatusOr<ScopedHandle>>> deferred_;
  // Shared with the completions of requests still with the host.
  std::shared_ptr<size_t> outstanding_ = std::make_shared<size_t>(0);
};

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_FILE_CLIENT_H_
