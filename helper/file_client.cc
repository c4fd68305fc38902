#include "helper/file_client.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc/proto/file_broker.pb.h"

namespace bulkhead {

FileClient::FileClient(uv_loop_t* loop, ipc::Channel* channel)
    : channel_(channel), timer_(loop) {
  timer_->data = this;
}

FileClient::~FileClient() {
  timer_->data = nullptr;
  while (!deferred_.empty()) {
    auto [done, result] = std::move(deferred_.front());
    deferred_.pop_front();
    (void)result;
    done(absl::CancelledError("the helper's context is gone"));
  }
}

void FileClient::Open(std::string path, int flags, Done done) {
  if (*outstanding_ >= kMaxOutstanding) {
    Defer(std::move(done),
          absl::ResourceExhaustedError(absl::StrCat(
              kMaxOutstanding,
              " file requests already wait for the host; wait for one")));
    return;
  }
  ++*outstanding_;
  ipc::OpenFileRequest request;
  request.set_path(std::move(path));
  request.set_flags(flags);
  // The completion may run at once (a closed channel, a full queue): then it
  // is deferred to the loop like any other.
  // `this` is touched only then: a later completion may outlive the client.
  auto inside = std::make_shared<bool>(true);
  channel_->Call<ipc::OpenFileRequest, ipc::OpenFileResponse>(
      request, absl::Now() + kTimeout,
      [this, inside, outstanding = outstanding_, channel = channel_,
       done = std::move(done)](
          absl::StatusOr<ipc::OpenFileResponse> response) mutable {
        --*outstanding;
        absl::StatusOr<ScopedHandle> result;
        if (!response.ok()) {
          result = response.status();
        } else {
          std::vector<ScopedHandle> handles = channel->TakeReceivedHandles();
          if (handles.size() != 1) {
            result = absl::DataLossError(absl::StrCat(
                "the host answered with ", handles.size(), " handles, not 1"));
          } else {
            result = std::move(handles.front());
          }
        }
        if (*inside) {
          Defer(std::move(done), std::move(result));
        } else {
          done(std::move(result));
        }
      });
  *inside = false;
}

void FileClient::Defer(Done done, absl::StatusOr<ScopedHandle> result) {
  deferred_.emplace_back(std::move(done), std::move(result));
  uv_timer_start(timer_.get(), OnTimer, 0, 0);
}

void FileClient::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<FileClient*>(timer->data);
  if (self == nullptr) return;
  // Only those queued so far: a completion that opens again defers to the
  // next turn.
  std::deque<std::pair<Done, absl::StatusOr<ScopedHandle>>> ready =
      std::exchange(self->deferred_, {});
  for (auto& [done, result] : ready) done(std::move(result));
}

}  // namespace bulkhead
