// A light, steady load on every ready helper, so that the task manager's
// counters move: every `interval` each ready helper that is not still busy
// gets its role's sample work (demo_work.h). Answers are only counted.
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_BROWSER_HOST_WORKLOAD_H_
#define BULKHEAD_BROWSER_HOST_WORKLOAD_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "host/host.h"
#include "host/host_trace.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class Workload {
 public:
  // `host` (not owned) must outlive this; so must `trace` (not owned; null
  // for none), which is shown each call. An `interval` of zero sends nothing.
  Workload(Host& host, absl::Duration interval, absl::Duration call_timeout,
           HostTrace* trace = nullptr);
  // Stops sending; answers still on their way are dropped.
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Calls completed and failed so far.
  uint64_t completed() const { return state_->completed; }
  uint64_t failed() const { return state_->failed; }

 private:
  // Shared with the calls in flight, which may finish after the destructor.
  struct State {
    std::set<uint64_t> busy;  // Helper ids with a call in flight.
    uint64_t completed = 0;
    uint64_t failed = 0;
  };

  void OnTick();

  Host& host_;
  const absl::Duration call_timeout_;
  HostTrace* const trace_;           // Not owned; may be null.
  ipc::UvHandle<uv_timer_t> timer_;  // Empty when nothing is sent.
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_WORKLOAD_H_
