#include "browser_host/workload.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "browser_host/demo_work.h"

namespace bulkhead {

Workload::Workload(Host& host, absl::Duration interval,
                   absl::Duration call_timeout, HostTrace* trace)
    : host_(host), call_timeout_(call_timeout), trace_(trace) {
  if (interval <= absl::ZeroDuration()) return;
  const uint64_t ms = static_cast<uint64_t>(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(interval)));
  timer_ = ipc::UvHandle<uv_timer_t>(host_.loop());
  timer_->data = this;
  uv_timer_start(
      timer_.get(),
      [](uv_timer_t* timer) { static_cast<Workload*>(timer->data)->OnTick(); },
      ms, ms);
}

Workload::~Workload() = default;

void Workload::OnTick() {
  for (HelperProcess* helper : host_.helpers()) {
    if (helper->state() != HelperProcess::State::kReady) continue;
    const uint64_t id = helper->id();
    if (!state_->busy.insert(id).second) continue;  // Still on the last one.
    SendSampleWork(
        *helper, absl::Now() + call_timeout_,
        MaybeTraceCall<std::string>(
            trace_, *helper, "sample work",
            [state = state_, id](absl::StatusOr<std::string> summary) {
              state->busy.erase(id);
              ++(summary.ok() ? state->completed : state->failed);
            }));
  }
}

}  // namespace bulkhead
