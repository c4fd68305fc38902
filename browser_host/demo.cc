#include "browser_host/demo.h"

#include <uv.h>

#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "browser_host/command_reader.h"
#include "browser_host/demo_work.h"
#include "browser_host/host.h"
#include "browser_host/status_table.h"
#include "browser_host/supervisor.h"
#include "common/process_info.h"
#include "helper/fault_injection.h"

namespace bulkhead {
namespace {

constexpr const char* kDemoRoles[] = {"renderer", "gpu", "utility", "network"};
constexpr char kCommandHelp[] =
    "Commands: status | crash <helper> <fault> [exit code] | kill <helper> | "
    "quit\n"
    "  <helper> is a name from the table (renderer-1) or a role (renderer).\n"
    "  <fault>: segv abort stack_overflow div_zero hang deadlock oom exit\n"
    "           bad_message flood fork_bomb\n";
// How many frames of a crash's stack to print.
constexpr size_t kStackLinesShown = 12;

class Demo {
 public:
  Demo(Host& host, const DemoOptions& options, std::FILE* out)
      : host_(host), options_(options), out_(out) {}

  int Run() {
    Supervisor supervisor(host_, SupervisorEvents());
    supervisor_ = &supervisor;
    WatchSignals();
    CommandReader reader(
        host_, [this](std::optional<std::string> line) { OnCommand(line); });
    for (const char* role : kDemoRoles) {
      ++first_round_pending_;
      if (absl::Status started = supervisor.Supervise(role, 1, RestartPolicy());
          !started.ok()) {
        FirstRoundDone(absl::StrCat(role, ": ", started.message()), false);
      }
    }
    host_.Run();
    StopWatchingSignals();
    supervisor_ = nullptr;
    return failures_ == 0 ? 0 : 1;
  }

 private:
  void Print(const std::string& text) {
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
  }

  Supervisor::Events SupervisorEvents() {
    Supervisor::Events events;
    events.on_started = [this](HelperProcess& helper) { OnStarted(helper); };
    events.on_exited = [this](const ExitInfo& exit,
                              std::optional<absl::Duration> restart_in) {
      OnExited(exit, restart_in);
    };
    events.on_role_failed = [this](const std::string& role,
                                   const std::string& why) {
      Print(absl::StrCat("  role ", role, " FAILED: ", why,
                         "; no more restarts\n"));
    };
    return events;
  }

  // Every helper, first or replacement, gets its sample work: the answer
  // shows it is really serving.
  void OnStarted(HelperProcess& helper) {
    const bool first = !started_once_.contains(helper.role());
    started_once_[helper.role()] = true;
    if (!first) {
      Print(absl::StrCat("  restarted ", helper.role(), " as ", helper.name(),
                         " (pid ", helper.pid(), ")\n"));
    }
    const std::string name = helper.name();
    const uint64_t id = helper.id();
    SendSampleWork(
        helper, absl::Now() + options_.call_timeout,
        [this, name, id, first](absl::StatusOr<std::string> summary) {
          const std::string line =
              summary.ok()
                  ? absl::StrCat(name, ": ", *summary)
                  : absl::StrCat(
                        name, ": work failed: ", summary.status().ToString());
          if (!first) {
            Print(absl::StrCat(summary.ok() ? "  ok    " : "  FAIL  ", line,
                               "\n"));
            return;
          }
          // One Ping, so that the first table shows each round trip.
          HelperProcess* helper = host_.FindHelper(id);
          if (!summary.ok() || helper == nullptr) {
            FirstRoundDone(line, summary.ok());
            return;
          }
          helper->Ping(absl::Now() + options_.call_timeout,
                       [this, line](absl::StatusOr<absl::Duration> rtt) {
                         FirstRoundDone(line, rtt.ok());
                       });
        });
  }

  void FirstRoundDone(const std::string& line, bool ok) {
    if (!ok && !shutting_down_) ++failures_;
    Print(absl::StrCat(ok ? "  ok    " : "  FAIL  ", line, "\n"));
    if (--first_round_pending_ > 0 || shutting_down_) return;
    Print("\n");
    PrintStatus();
    Print(kCommandHelp);
    if (quit_requested_) BeginShutdown("end of input");
  }

  void OnExited(const ExitInfo& exit,
                std::optional<absl::Duration> restart_in) {
    std::string text = absl::StrCat(
        "  ", exit.role, "-", exit.helper_id, " (pid ", exit.pid,
        ") ended after ",
        absl::FormatDuration(absl::Trunc(exit.uptime, absl::Milliseconds(1))),
        ": ", exit.Describe(), "\n");
    for (size_t i = 0; i < exit.stack_trace.size() && i < kStackLinesShown;
         ++i) {
      absl::StrAppend(&text, "      ", exit.stack_trace[i], "\n");
    }
    if (restart_in.has_value()) {
      absl::StrAppend(
          &text, "      restarting in ",
          absl::FormatDuration(absl::Trunc(*restart_in, absl::Milliseconds(1))),
          "\n");
    }
    Print(text);
    // A helper that died before its first answer fails the first round.
    if (!started_once_.contains(exit.role) && first_round_pending_ > 0 &&
        exit.kind != ExitKind::kHostShutdown) {
      ++failures_;
    }
  }

  void PrintStatus() {
    std::vector<HelperRow> rows;
    for (HelperProcess* helper : host_.helpers()) {
      HelperRow row;
      row.name = helper->name();
      row.pid = helper->pid();
      row.role = helper->role();
      row.state = HelperStateName(helper->state());
      row.uptime = helper->uptime();
      if (absl::StatusOr<ProcessUsage> usage = GetProcessUsage(helper->pid());
          usage.ok()) {
        row.cpu_time = usage->cpu_time;
        row.resident_bytes = usage->resident_bytes;
      }
      row.round_trip = helper->last_round_trip();
      row.frames_sent = helper->channel().frames_sent();
      row.frames_received = helper->channel().frames_received();
      row.restarts = supervisor_ ? supervisor_->restarts(helper->role()) : 0;
      row.sandbox = helper->sandbox_status().sandboxed() ? "sandboxed" : "none";
      rows.push_back(std::move(row));
    }
    Print(FormatStatusTable(rows));
  }

  void OnCommand(std::optional<std::string> line) {
    if (!line.has_value()) {
      // End of input: finish the first round of work, then stop.
      quit_requested_ = true;
      if (first_round_pending_ == 0) BeginShutdown("end of input");
      return;
    }
    std::vector<std::string> words =
        absl::StrSplit(*line, ' ', absl::SkipWhitespace());
    if (words.empty()) return;
    const std::string& command = words[0];
    if (command == "quit" || command == "exit") {
      BeginShutdown("quit");
    } else if (command == "status") {
      PrintStatus();
    } else if (command == "help") {
      Print(kCommandHelp);
    } else if (command == "crash" && (words.size() == 3 || words.size() == 4)) {
      Crash(words[1], words[2], words.size() == 4 ? words[3] : "1");
    } else if (command == "kill" && words.size() == 2) {
      HelperProcess* helper = host_.FindHelper(words[1]);
      if (helper == nullptr) return Print("no such helper\n");
      helper->Kill(HostAction::kKillRequested, "killed from the command line");
    } else {
      Print(absl::StrCat("unknown command '", *line, "'\n", kCommandHelp));
    }
  }

  void Crash(const std::string& who, const std::string& fault,
             const std::string& code_text) {
    HelperProcess* helper = host_.FindHelper(who);
    if (helper == nullptr) return Print(absl::StrCat("no helper ", who, "\n"));
    std::optional<ipc::FaultKind> kind = ParseFaultKind(fault);
    int code = 0;
    if (!kind.has_value() || !absl::SimpleAtoi(code_text, &code)) {
      return Print(absl::StrCat("unknown fault '", fault, "'\n", kCommandHelp));
    }
    if (helper->state() != HelperProcess::State::kReady) {
      return Print(absl::StrCat(helper->name(), " is not ready yet\n"));
    }
    Print(absl::StrCat("  injecting ", fault, " into ", helper->name(), "\n"));
    const std::string name = helper->name();
    helper->InjectFault(*kind, code, [this, name, fault](absl::Status status) {
      // Faults that end the helper are reported by its exit instead.
      if (status.ok()) {
        Print(absl::StrCat("  ", name, " is committing ", fault, "\n"));
      } else if (!absl::IsUnavailable(status)) {
        Print(absl::StrCat("  ", name, " refused ", fault, ": ",
                           status.message(), "\n"));
      }
    });
  }

  void BeginShutdown(const std::string& why) {
    if (shutting_down_) return;
    shutting_down_ = true;
    Print(absl::StrCat("Shutting down (", why, ")...\n"));
    if (supervisor_ != nullptr) supervisor_->StopRestarting();
    host_.Shutdown(options_.shutdown_grace, [this] {
      Print("All helpers stopped.\n");
      host_.Quit();
    });
  }

  void WatchSignals() {
    for (int signum : {SIGINT, SIGTERM}) {
      auto* handle = new uv_signal_t;
      uv_signal_init(host_.loop(), handle);
      handle->data = this;
      uv_signal_start(
          handle,
          [](uv_signal_t* handle, int signum) {
            static_cast<Demo*>(handle->data)
                ->BeginShutdown(signum == SIGINT ? "SIGINT" : "SIGTERM");
          },
          signum);
      signals_.push_back(handle);
    }
  }

  void StopWatchingSignals() {
    for (uv_signal_t* handle : signals_) {
      uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* h) {
        delete reinterpret_cast<uv_signal_t*>(h);
      });
    }
    signals_.clear();
  }

  Host& host_;
  const DemoOptions options_;
  std::FILE* const out_;
  Supervisor* supervisor_ = nullptr;  // Not owned; lives in Run().
  int first_round_pending_ = 0;
  int failures_ = 0;
  bool quit_requested_ = false;
  bool shutting_down_ = false;
  std::map<std::string, bool> started_once_;  // By role.
  std::vector<uv_signal_t*> signals_;
};

}  // namespace

int RunDemo(const RoleRegistry& roles, const DemoOptions& options,
            std::FILE* out) {
  Host::Options host_options;
  host_options.roles = &roles;
  host_options.sandbox_helpers =
      options.sandbox_helpers && SandboxedLaunchAvailable();
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Create(std::move(host_options));
  if (!host.ok()) {
    std::fprintf(stderr, "browser_host: %s\n",
                 host.status().ToString().c_str());
    return 1;
  }
  return Demo(**host, options, out).Run();
}

}  // namespace bulkhead
