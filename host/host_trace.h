// Draws a Host's helpers into a TraceRecorder (host/trace_recorder.h): the
// tracing behind `browser_host --trace`, for any app. Attach it to the host,
// run, then write the recorder's file:
//
//   bulkhead::TraceRecorder recorder;  // Bounded: Options::max_events.
//   bulkhead::HostTrace trace(*host, recorder, "my_app");
//   host->SetLifecycleHandler(trace.LifecycleHandler());
//   helper->Call<Req, Resp>(request, deadline,
//       trace.TraceCall<Resp>(*helper, "resize", std::move(done)));
//   host->Run();
//   absl::Status written = recorder.WriteFile("my_app.trace.json");
//
// Each helper is a process of its own in the trace (pid kHelperTrackPidBase +
// its helper id, named "renderer-1 (pid 4242)" with the real pid), so that a
// viewer shows one group per helper. Its thread track holds a span for its
// whole life, named after it, and inside it one span per state: "starting"
// (launch to Ready), "ready", "stopping" (the host began stopping or killing
// it). Instants on that track: "launch", "host restart" (this launch replaces a
// helper of the role that ended: the role's Host::restarts count grew since
// its previous launch; args: role, restarts), "spawned" (args: pid), "Hello"
// and "Welcome" (the handshake, at the moment the Hello arrived), "Ready",
// whatever the app reports doing to it (OnAction: "fault segv", "kill", ...),
// "exit" (args: kind, description, signal, exit_code, pid, uptime_ms, and
// detail, syscall or launch_status when there are) and "restart scheduled"
// (OnRestartScheduled; args: delay_ms). Calls traced with TraceCall are async
// spans (category "call") in the helper's process, from the call to its
// answer, with the status; TraceTask's (category "task", for work whose helper
// is not known, such as a HelperPool task) are in the host's process.
// Host-wide events ("role failed", "restart scheduled") go on the host's track
// (pid: the host's real pid).
//
// Thread: the host's loop thread, for every member and for the callbacks it
// wraps. Ownership: borrows the host and the recorder, which must outlive it
// (destroy it before the host: the host's destructor cancels calls, whose
// completions then run untraced). Memory: besides the recorder's own bound,
// one small entry per helper not yet exited and one per role.
#ifndef BULKHEAD_HOST_HOST_TRACE_H_
#define BULKHEAD_HOST_HOST_TRACE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "host/exit_info.h"
#include "host/helper_process.h"
#include "host/host.h"
#include "host/trace_recorder.h"

namespace bulkhead {

class BULKHEAD_EXPORT HostTrace {
 public:
  // Helper tracks' pids: above every real pid on Linux (pid_max <= 2^22), so
  // never the host's.
  static constexpr int64_t kHelperTrackPidBase = 100'000'000;

  // `host` and `recorder` (not owned) must outlive this. `host_name` names
  // the host's track ("browser_host (pid N)"). Records the host's track's
  // names at once.
  HostTrace(Host& host, TraceRecorder& recorder, const std::string& host_name);
  HostTrace(const HostTrace&) = delete;
  HostTrace& operator=(const HostTrace&) = delete;

  // Every lifecycle event must reach OnLifecycle: either set the host's
  // lifecycle handler to LifecycleHandler(), which traces each event and then
  // passes it to `next` (the app's own handler, may be null), or call
  // OnLifecycle from the app's handler. The handler returned borrows this
  // object: unset it (Host::SetLifecycleHandler(nullptr)) before destroying
  // this.
  absl::AnyInvocable<void(const LifecycleEvent&)> LifecycleHandler(
      absl::AnyInvocable<void(const LifecycleEvent&)> next = nullptr);
  void OnLifecycle(const LifecycleEvent& event);
  // A Supervisor scheduled a replacement for the helper `exit` describes.
  void OnRestartScheduled(const ExitInfo& exit, absl::Duration delay);
  // A Supervisor gave up on `role`.
  void OnRoleFailed(const std::string& role, const std::string& why);
  // Something the host was asked to do to `helper`: an instant named
  // `action` on its track.
  void OnAction(const HelperProcess& helper, std::string action,
                TraceArgs args = {});

  // `done`, wrapped so that the call shows as an async span `name` in
  // `helper`'s process until it completes. Completions after this object is
  // destroyed are not traced.
  template <typename T>
  absl::AnyInvocable<void(absl::StatusOr<T>)> TraceCall(
      const HelperProcess& helper, std::string name,
      absl::AnyInvocable<void(absl::StatusOr<T>)> done) {
    const uint64_t span =
        recorder_.AsyncBegin(HelperTrack(helper.id()), "call", std::move(name),
                             {{"helper", helper.name()}});
    return [this, alive = std::weak_ptr<bool>(alive_), span,
            done = std::move(done)](absl::StatusOr<T> result) mutable {
      if (alive.lock()) EndCall(span, result.status());
      done(std::move(result));
    };
  }

  // `done`, wrapped so that the work shows as an async span `name` in the
  // host's process until it completes (for work whose helper is not known
  // when it starts, such as HelperPool::Submit's tasks). Completions after
  // this object is destroyed are not traced.
  template <typename T>
  absl::AnyInvocable<void(absl::StatusOr<T>)> TraceTask(
      std::string name, absl::AnyInvocable<void(absl::StatusOr<T>)> done,
      TraceArgs args = {}) {
    const uint64_t span = recorder_.AsyncBegin(
        host_track_, "task", std::move(name), std::move(args));
    return [this, alive = std::weak_ptr<bool>(alive_), span,
            done = std::move(done)](absl::StatusOr<T> result) mutable {
      if (alive.lock()) EndCall(span, result.status());
      done(std::move(result));
    };
  }

  TraceTrack HostTrack() const { return host_track_; }
  static TraceTrack HelperTrack(uint64_t helper_id) {
    const int64_t pid = kHelperTrackPidBase + static_cast<int64_t>(helper_id);
    return {.pid = pid, .tid = pid};
  }

 private:
  struct Helper {
    std::string name;
    bool hello_traced = false;
  };

  void EndCall(uint64_t span, const absl::Status& status);
  // The handshake's Hello and Welcome, once, if they happened.
  void TraceHello(uint64_t id, Helper& helper);

  Host& host_;               // Not owned.
  TraceRecorder& recorder_;  // Not owned.
  const TraceTrack host_track_;
  std::map<uint64_t, Helper> helpers_;  // Launched and not exited, by id.
  // Host::restarts(role) at the role's last launch, by role.
  std::map<std::string, int, std::less<>> restarts_seen_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// `trace`->TraceCall(...), or `done` itself when `trace` is null.
template <typename T>
absl::AnyInvocable<void(absl::StatusOr<T>)> MaybeTraceCall(
    HostTrace* trace, const HelperProcess& helper, std::string name,
    absl::AnyInvocable<void(absl::StatusOr<T>)> done) {
  if (trace == nullptr) return done;
  return trace->TraceCall<T>(helper, std::move(name), std::move(done));
}

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_HOST_TRACE_H_
