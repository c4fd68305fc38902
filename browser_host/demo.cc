#include "browser_host/demo.h"

#include <uv.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "browser_host/command_parser.h"
#include "browser_host/command_reader.h"
#include "browser_host/console.h"
#include "browser_host/demo_commands.h"
#include "browser_host/demo_work.h"
#include "browser_host/json_events.h"
#include "browser_host/task_manager.h"
#include "browser_host/workload.h"
#include "common/logging.h"
#include "common/utf8.h"
#include "host/host.h"
#include "host/host_trace.h"
#include "host/supervisor.h"
#include "host/trace_recorder.h"
#include "ipc/uv_handle.h"

namespace bulkhead {
namespace {

// A line the reader cuts is too long to be a command, so that it is refused.
static_assert(CommandReader::kMaxLineBytes >= kMaxCommandLineBytes);

// How many frames of a crash's stack to print.
constexpr size_t kStackLinesShown = 12;

std::string Millis(absl::Duration duration) {
  return absl::FormatDuration(absl::Trunc(duration, absl::Milliseconds(1)));
}

class Demo {
 public:
  // `trace` (not owned; null for none) must outlive this.
  Demo(Host& host, const HostConfig& config, const DemoOptions& options,
       Console& console, HostTrace* trace)
      : host_(host),
        config_(config),
        options_(options),
        console_(console),
        trace_(trace) {}

  int Run() {
    Supervisor supervisor(host_, SupervisorEvents());
    supervisor_ = &supervisor;
    DemoCommands commands(
        host_, supervisor, config_, options_.shutdown_grace,
        {.print = [this](const std::string& text) { console_.Message(text); },
         .show_status = [this] { ShowTable(/*requested=*/true); },
         .quit = [this] { BeginShutdown("quit"); },
         .end_of_input =
             [this] {
               // Finish the first round of work, then stop.
               quit_requested_ = true;
               if (first_round_pending_ <= 0) BeginShutdown("end of input");
             },
         .on_action =
             [this](const HelperProcess& helper, const std::string& action) {
               if (trace_ != nullptr) trace_->OnAction(helper, action);
             },
         .starting_up =
             [this] { return first_round_pending_ > 0 && !shutting_down_; },
         .line_done =
             [this] {
               if (reader_ != nullptr) reader_->LineDone();
             }});
    commands_ = &commands;
    host_.SetLifecycleHandler(
        [this](const LifecycleEvent& event) { OnLifecycle(event); });
    WatchSignals();
    Workload workload(host_, config_.work_interval, options_.call_timeout,
                      trace_);
    StartRefreshing();
    CommandReader reader(
        host_, [this](std::optional<std::string> line) { OnCommand(line); });
    reader_ = &reader;
    for (const RoleConfig& role : config_.roles) {
      first_round_pending_ += role.count;
      launching_initial_ = true;
      absl::Status started =
          supervisor.Supervise(role.name, role.count, role.restart);
      launching_initial_ = false;
      if (!started.ok()) {
        for (int i = 0; i < role.count; ++i) {
          FirstRoundDone(absl::StrCat(role.name, ": ", started.message()),
                         false);
        }
      }
    }
    // The live table goes up at once, so that the first round's results
    // scroll below it instead of being cleared away.
    OnRefresh();
    host_.Run();
    StopRefreshing();
    StopWatchingSignals();
    host_.SetLifecycleHandler(nullptr);
    commands_ = nullptr;
    reader_ = nullptr;
    supervisor_ = nullptr;
    if (forced_) return kExitForced;
    return failures_ == 0 ? 0 : 1;
  }

 private:
  Supervisor::Events SupervisorEvents() {
    Supervisor::Events events;
    events.on_started = [this](HelperProcess& helper) { OnStarted(helper); };
    events.on_exited = [this](const ExitInfo& exit,
                              std::optional<absl::Duration> restart_in) {
      OnExited(exit, restart_in);
    };
    events.on_role_failed = [this](const std::string& role,
                                   const std::string& why) {
      if (trace_ != nullptr) trace_->OnRoleFailed(role, why);
      EmitJson(RoleFailedJson(role, why, absl::Now()));
      console_.Message(absl::StrCat("  role ", role, " FAILED: ", why,
                                    "; no more restarts\n"));
    };
    return events;
  }

  // One --json-events line; a line the printer failed on (a bug) is said on
  // stderr instead.
  void EmitJson(const absl::StatusOr<std::string>& json) {
    if (json.ok()) {
      console_.Json(*json);
    } else if (console_.mode() == Console::Mode::kJsonEvents) {
      console_.Message(
          absl::StrCat("browser_host: ", json.status().ToString(), "\n"));
    }
  }

  void OnLifecycle(const LifecycleEvent& event) {
    if (trace_ != nullptr) trace_->OnLifecycle(event);
    EmitJson(LifecycleEventJson(event, absl::Now()));
    if (event.stage == LifecycleStage::kLaunching) {
      if (launching_initial_) initial_ids_.insert(event.helper_id);
      if (restarts_pending_[event.role] > 0) --restarts_pending_[event.role];
      if (std::find(roles_.begin(), roles_.end(), event.role) == roles_.end())
        roles_.push_back(event.role);
    }
    // A helper of the first round that ended before finishing its work.
    if (event.stage == LifecycleStage::kExited &&
        initial_ids_.erase(event.helper_id) > 0 &&
        event.exit->kind != ExitKind::kHostShutdown &&
        event.exit->kind != ExitKind::kStoppedByHost) {
      const std::string line = absl::StrCat(
          event.role, "-", event.helper_id,
          ": ended before its work was done: ", event.exit->Describe());
      // Not from inside the helper's exit report.
      host_.Post([this, line] { FirstRoundDone(line, false); });
    }
  }

  // Every helper, first or replacement, gets its sample work: the answer
  // shows it is really serving.
  void OnStarted(HelperProcess& helper) {
    // Commands that waited for it (it is ready now).
    if (commands_ != nullptr) commands_->Resume();
    const uint64_t id = helper.id();
    const bool first = initial_ids_.contains(id);
    if (!first) {
      console_.Message(absl::StrCat("  started ", helper.name(), " (pid ",
                                    helper.pid(), ")\n"));
    }
    const std::string name = helper.name();
    SendSampleWork(
        helper, absl::Now() + options_.call_timeout,
        MaybeTraceCall<std::string>(
            trace_, helper, "sample work",
            [this, name, id, first](absl::StatusOr<std::string> summary) {
              const std::string line =
                  summary.ok() ? absl::StrCat(name, ": ", *summary)
                               : absl::StrCat(name, ": work failed: ",
                                              summary.status().ToString());
              if (!first) {
                console_.Message(absl::StrCat(
                    summary.ok() ? "  ok    " : "  FAIL  ", line, "\n"));
                return;
              }
              if (initial_ids_.erase(id) == 0) return;  // Its exit said so.
              // One Ping, so that the first table shows each round trip.
              HelperProcess* helper = host_.FindHelper(id);
              if (!summary.ok() || helper == nullptr) {
                FirstRoundDone(line, summary.ok());
                return;
              }
              helper->Ping(
                  absl::Now() + options_.call_timeout,
                  MaybeTraceCall<absl::Duration>(
                      trace_, *helper, "ping",
                      [this, line](absl::StatusOr<absl::Duration> rtt) {
                        FirstRoundDone(line, rtt.ok());
                      }));
            }));
  }

  void FirstRoundDone(const std::string& line, bool ok) {
    if (!ok && !shutting_down_) ++failures_;
    console_.Message(absl::StrCat(ok ? "  ok    " : "  FAIL  ", line, "\n"));
    if (--first_round_pending_ > 0 || shutting_down_) return;
    ShowTable(/*requested=*/false);
    console_.Message(kCommandHelp);
    if (quit_requested_) BeginShutdown("end of input");
    // Commands that waited for the first round.
    if (commands_ != nullptr) commands_->Resume();
  }

  void OnExited(const ExitInfo& exit,
                std::optional<absl::Duration> restart_in) {
    task_manager_.OnExit(exit);
    std::string text =
        absl::StrCat("  ", exit.role, "-", exit.helper_id, " (pid ", exit.pid,
                     ") ended after ", Millis(exit.uptime), ": ",
                     PrintableText(exit.Describe()), "\n");
    for (size_t i = 0; i < exit.stack_trace.size() && i < kStackLinesShown;
         ++i) {
      absl::StrAppend(&text, "      ", PrintableText(exit.stack_trace[i]),
                      "\n");
    }
    if (restart_in.has_value()) {
      if (trace_ != nullptr) trace_->OnRestartScheduled(exit, *restart_in);
      ++restarts_pending_[exit.role];
      EmitJson(RestartScheduledJson(exit, *restart_in, absl::Now()));
      absl::StrAppend(&text, "      restarting in ", Millis(*restart_in), "\n");
    }
    console_.Message(text);
    if (commands_ != nullptr) commands_->OnExit(exit);
  }

  // The task manager table, through the console.
  void ShowTable(bool requested) {
    std::vector<HelperSample> samples;
    for (HelperProcess* helper : host_.helpers()) {
      samples.push_back(SampleHelper(*helper));
      // The heartbeat writes no Pings (host/beat_watch.h): one per table, so
      // that the next table's round trips are fresh.
      if (helper->state() == HelperProcess::State::kReady) {
        helper->Ping(absl::Now() + options_.call_timeout,
                     [](absl::StatusOr<absl::Duration>) {});
      }
    }
    std::vector<RoleSummary> roles;
    for (const std::string& role : roles_) {
      roles.push_back(
          {.role = role,
           .restarts = supervisor_ ? supervisor_->restarts(role) : 0,
           .failed = supervisor_ && supervisor_->failed(role),
           .restart_pending = restarts_pending_[role] > 0});
    }
    console_.Table(
        FormatStatusTable(task_manager_.Rows(samples, roles, absl::Now()),
                          console_.table_width()),
        requested);
  }

  void OnRefresh() {
    if (shutting_down_ || console_.mode() == Console::Mode::kJsonEvents) return;
    // Appended tables wait for the first round's results and table; the
    // live one starts at once.
    if (console_.mode() == Console::Mode::kLive || first_round_pending_ <= 0)
      ShowTable(/*requested=*/false);
  }

  void OnCommand(std::optional<std::string> line) {
    if (commands_ == nullptr) return;
    if (line.has_value()) {
      commands_->Run(*line);
    } else {
      commands_->EndOfInput();
    }
  }

  void BeginShutdown(const std::string& why) {
    if (shutting_down_) return;
    shutting_down_ = true;
    console_.Message(absl::StrCat("Shutting down (", why, ")...\n"));
    if (supervisor_ != nullptr) supervisor_->StopRestarting();
    host_.Shutdown(options_.shutdown_grace, [this] {
      console_.Message("All helpers stopped.\n");
      host_.Quit();
    });
  }

  // A second SIGINT while shutting down: stop waiting for the helpers. The
  // host's destructor kills (SIGKILL) and reaps whatever is still running.
  void Force() {
    if (forced_) return;
    forced_ = true;
    console_.Message("Second SIGINT: forcing exit, killing the helpers.\n");
    host_.Quit();
  }

  void StartRefreshing() {
    if (options_.refresh_interval <= absl::ZeroDuration()) return;
    const uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(
        1, absl::ToInt64Milliseconds(options_.refresh_interval)));
    refresh_ = ipc::UvHandle<uv_timer_t>(host_.loop());
    refresh_->data = this;
    uv_timer_start(
        refresh_.get(),
        [](uv_timer_t* timer) { static_cast<Demo*>(timer->data)->OnRefresh(); },
        ms, ms);
  }

  void StopRefreshing() { refresh_.Close(); }

  void WatchSignals() {
    for (int signum : {SIGINT, SIGTERM}) {
      absl::StatusOr<ipc::UvHandle<uv_signal_t>> watch =
          ipc::UvHandle<uv_signal_t>::Init(host_.loop());
      if (!watch.ok()) {
        BH_LOG(kWarning, "not watching signal ", signum, ": ",
               watch.status().message());
        continue;
      }
      (*watch)->data = this;
      uv_signal_start(
          watch->get(),
          [](uv_signal_t* handle, int signum) {
            auto* demo = static_cast<Demo*>(handle->data);
            if (signum == SIGINT && demo->shutting_down_) return demo->Force();
            demo->BeginShutdown(signum == SIGINT ? "SIGINT" : "SIGTERM");
          },
          signum);
      signals_.push_back(*std::move(watch));
    }
  }

  void StopWatchingSignals() { signals_.clear(); }

  Host& host_;
  const HostConfig& config_;
  const DemoOptions options_;
  Console& console_;
  HostTrace* const trace_;            // Not owned; may be null.
  Supervisor* supervisor_ = nullptr;  // Not owned; lives in Run().
  DemoCommands* commands_ = nullptr;  // Not owned; lives in Run().
  CommandReader* reader_ = nullptr;   // Not owned; lives in Run().
  TaskManager task_manager_;
  ipc::UvHandle<uv_timer_t> refresh_;
  int first_round_pending_ = 0;
  int failures_ = 0;
  bool quit_requested_ = false;
  bool shutting_down_ = false;
  bool forced_ = false;
  bool launching_initial_ = false;
  // Helpers of the first round that have not finished its work yet.
  std::set<uint64_t> initial_ids_;
  std::vector<std::string> roles_;  // Every role launched, in order.
  std::map<std::string, int> restarts_pending_;  // By role.
  std::vector<ipc::UvHandle<uv_signal_t>> signals_;
};

// The demo, traced into `recorder` when it is not null.
int RunDemoWithTrace(const RoleRegistry& roles, const HostConfig& config,
                     const DemoOptions& options, std::FILE* out,
                     TraceRecorder* recorder) {
  Host::Options host_options;
  host_options.roles = &roles;
  ApplyHostConfig(config, host_options);
  Console console(
      Console::ChooseMode(out, options.json_events, /*allow_live=*/true), out,
      stderr);
  // The live table owns the screen: helpers' output would scribble over it,
  // and what matters of it comes with each exit report.
  if (console.mode() == Console::Mode::kLive)
    host_options.forward_helper_output = false;
  if (!options.sandbox_helpers) {
    // --no-sandbox outranks the config.
    host_options.sandbox_helpers = false;
    for (auto& [role, role_options] : host_options.role_options) {
      role_options.sandbox_helpers = false;
    }
  }
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Create(std::move(host_options));
  if (!host.ok()) {
    std::fprintf(stderr, "browser_host: %s\n",
                 host.status().ToString().c_str());
    return 1;
  }
  // Destroyed before the host: completions the host cancels are not traced.
  std::unique_ptr<HostTrace> trace;
  if (recorder != nullptr) {
    trace = std::make_unique<HostTrace>(**host, *recorder, "browser_host");
  }
  return Demo(**host, config, options, console, trace.get()).Run();
}

}  // namespace

int RunDemo(const RoleRegistry& roles, const HostConfig& config,
            const DemoOptions& options, std::FILE* out) {
  // Before the host, so that it outlives the calls the host cancels.
  std::unique_ptr<TraceRecorder> recorder;
  if (!options.trace_path.empty()) recorder = std::make_unique<TraceRecorder>();
  const int exit_code =
      RunDemoWithTrace(roles, config, options, out, recorder.get());
  if (recorder == nullptr) return exit_code;
  // Spans still open (a helper still running) are closed in the file.
  if (absl::Status written = recorder->WriteFile(options.trace_path);
      !written.ok()) {
    std::fprintf(stderr, "browser_host: %s\n",
                 std::string(written.message()).c_str());
    return 1;
  }
  return exit_code;
}

}  // namespace bulkhead
