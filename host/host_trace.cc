#include "host/host_trace.h"

#include <uv.h>

#include "absl/strings/str_cat.h"

namespace bulkhead {
namespace {

TraceArgs ExitArgs(const ExitInfo& exit) {
  TraceArgs args = {{"kind", std::string(ExitKindName(exit.kind))},
                    {"description", exit.Describe()},
                    {"signal", int64_t{exit.signal}},
                    {"exit_code", exit.exit_code},
                    {"pid", exit.pid},
                    {"uptime_ms", absl::ToInt64Milliseconds(exit.uptime)}};
  if (!exit.detail.empty()) args.emplace_back("detail", exit.detail);
  if (!exit.syscall.empty()) args.emplace_back("syscall", exit.syscall);
  if (exit.kind == ExitKind::kLaunchFailed) {
    args.emplace_back("launch_status", exit.launch_status.ToString());
  }
  return args;
}

}  // namespace

HostTrace::HostTrace(Host& host, TraceRecorder& recorder,
                     const std::string& host_name)
    : host_(host),
      recorder_(recorder),
      host_track_{.pid = uv_os_getpid(), .tid = uv_os_getpid()} {
  recorder_.SetProcessName(
      host_track_.pid, absl::StrCat(host_name, " (pid ", host_track_.pid, ")"),
      /*sort_index=*/0);
  recorder_.SetThreadName(host_track_, "host");
}

absl::AnyInvocable<void(const LifecycleEvent&)> HostTrace::LifecycleHandler(
    absl::AnyInvocable<void(const LifecycleEvent&)> next) {
  return [this, next = std::move(next)](const LifecycleEvent& event) mutable {
    OnLifecycle(event);
    if (next) next(event);
  };
}

void HostTrace::OnLifecycle(const LifecycleEvent& event) {
  const TraceTrack track = HelperTrack(event.helper_id);
  const std::string name = absl::StrCat(event.role, "-", event.helper_id);
  switch (event.stage) {
    case LifecycleStage::kLaunching:
      helpers_[event.helper_id] = {.name = name};
      recorder_.SetProcessName(track.pid, name,
                               static_cast<int64_t>(event.helper_id));
      recorder_.SetThreadName(track, name);
      recorder_.Begin(track, name,
                      {{"role", event.role},
                       {"helper_id", static_cast<int64_t>(event.helper_id)}});
      recorder_.Instant(track, "launch", {{"role", event.role}});
      // The host counts a restart when it schedules it, before the launch:
      // a count that grew since the role's previous launch makes this one
      // the replacement.
      if (const int restarts = host_.restarts(event.role);
          restarts > restarts_seen_[event.role]) {
        restarts_seen_[event.role] = restarts;
        recorder_.Instant(
            track, "host restart",
            {{"role", event.role}, {"restarts", int64_t{restarts}}});
      }
      recorder_.Begin(track, "starting");
      return;
    case LifecycleStage::kStarted: {
      const std::string shown = absl::StrCat(name, " (pid ", event.pid, ")");
      recorder_.SetProcessName(track.pid, shown,
                               static_cast<int64_t>(event.helper_id));
      recorder_.SetThreadName(track, shown);
      recorder_.Instant(track, "spawned", {{"pid", event.pid}});
      return;
    }
    case LifecycleStage::kReady:
      if (auto helper = helpers_.find(event.helper_id);
          helper != helpers_.end()) {
        TraceHello(event.helper_id, helper->second);
      }
      recorder_.Instant(track, "Ready");
      recorder_.End(track);  // starting
      recorder_.Begin(track, "ready");
      return;
    case LifecycleStage::kExiting:
      recorder_.End(track);  // starting or ready
      recorder_.Begin(track, "stopping");
      return;
    case LifecycleStage::kExited: {
      auto helper = helpers_.find(event.helper_id);
      if (helper != helpers_.end()) TraceHello(event.helper_id, helper->second);
      if (event.exit != nullptr) {
        recorder_.Instant(track, "exit", ExitArgs(*event.exit));
      }
      if (helper == helpers_.end()) return;  // Never announced its launch.
      helpers_.erase(helper);
      recorder_.End(track);  // The state.
      recorder_.End(track);  // The whole life.
      return;
    }
  }
}

void HostTrace::TraceHello(uint64_t id, Helper& helper) {
  if (helper.hello_traced) return;
  const HelperProcess* process = host_.FindHelper(id);
  if (process == nullptr || process->hello_hrtime() == 0) return;
  helper.hello_traced = true;
  const int64_t at = static_cast<int64_t>(process->hello_hrtime() / 1000);
  recorder_.Instant(HelperTrack(id), "Hello", {}, at);
  recorder_.Instant(HelperTrack(id), "Welcome", {}, at);
}

void HostTrace::OnRestartScheduled(const ExitInfo& exit, absl::Duration delay) {
  const TraceArgs args = {
      {"role", exit.role},
      {"helper", absl::StrCat(exit.role, "-", exit.helper_id)},
      {"delay_ms", absl::ToInt64Milliseconds(delay)}};
  recorder_.Instant(HelperTrack(exit.helper_id), "restart scheduled", args);
  recorder_.Instant(host_track_, "restart scheduled", args);
}

void HostTrace::OnRoleFailed(const std::string& role, const std::string& why) {
  recorder_.Instant(host_track_, "role failed", {{"role", role}, {"why", why}});
}

void HostTrace::OnAction(const HelperProcess& helper, std::string action,
                         TraceArgs args) {
  recorder_.Instant(HelperTrack(helper.id()), std::move(action),
                    std::move(args));
}

void HostTrace::EndCall(uint64_t span, const absl::Status& status) {
  TraceArgs args = {
      {"status", std::string(absl::StatusCodeToString(status.code()))}};
  if (!status.ok()) args.emplace_back("error", std::string(status.message()));
  recorder_.AsyncEnd(span, std::move(args));
}

}  // namespace bulkhead
