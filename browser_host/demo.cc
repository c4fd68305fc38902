#include "browser_host/demo.h"

#include <uv.h>

#include <csignal>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "browser_host/demo_work.h"
#include "browser_host/host.h"
#include "browser_host/status_table.h"

namespace bulkhead {
namespace {

constexpr const char* kDemoRoles[] = {"renderer", "gpu", "utility", "network"};

// Reads stdin lines on a thread of its own and hands them to the host's loop.
// The thread may outlive the demo (it is blocked in a read); `Detach` makes it
// drop whatever it reads later.
class CommandReader {
 public:
  using Handler = absl::AnyInvocable<void(std::optional<std::string> line)>;

  CommandReader(Host& host, Handler handler)
      : state_(std::make_shared<State>(&host, std::move(handler))) {
    std::thread([state = state_] {
      std::string line;
      while (std::getline(std::cin, line)) {
        if (!state->Deliver(std::move(line))) return;
      }
      state->Deliver(std::nullopt);  // End of input.
    }).detach();
  }
  ~CommandReader() { state_->Detach(); }

 private:
  struct State {
    State(Host* host, Handler handler)
        : host(host), handler(std::move(handler)) {}
    bool Deliver(std::optional<std::string> line) {
      absl::MutexLock lock(&mutex);
      if (host == nullptr) return false;
      host->Post([this, line = std::move(line)]() mutable {
        handler(std::move(line));
      });
      return true;
    }
    void Detach() {
      absl::MutexLock lock(&mutex);
      host = nullptr;
    }
    absl::Mutex mutex;
    Host* host ABSL_GUARDED_BY(mutex);
    Handler handler;  // Runs on the loop thread only.
  };
  std::shared_ptr<State> state_;
};

class Demo {
 public:
  Demo(Host& host, const DemoOptions& options, std::FILE* out)
      : host_(host), options_(options), out_(out) {}

  int Run() {
    host_.SetExitHandler([this](const ExitInfo& info) { OnExit(info); });
    WatchSignals();
    CommandReader reader(
        host_, [this](std::optional<std::string> line) { OnCommand(line); });
    for (const char* role : kDemoRoles) Launch(role);
    host_.Run();
    StopWatchingSignals();
    return failures_ == 0 ? 0 : 1;
  }

 private:
  void Print(const std::string& text) {
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
  }

  void Launch(const std::string& role) {
    ++work_pending_;
    absl::StatusOr<HelperProcess*> launched =
        host_.Launch(role, [this](absl::StatusOr<HelperProcess*> helper) {
          if (!helper.ok()) {
            // Stopping a helper that is still starting is not a failure of the
            // helper.
            WorkDone(absl::StrCat("launch failed: ", helper.status().message()),
                     shutting_down_);
            return;
          }
          SendWork(**helper);
        });
    if (!launched.ok())
      WorkDone(absl::StrCat(role, ": ", launched.status().message()), false);
  }

  void SendWork(HelperProcess& helper) {
    const uint64_t id = helper.id();
    const std::string name = helper.name();
    SendSampleWork(
        helper, absl::Now() + options_.call_timeout,
        [this, id, name](absl::StatusOr<std::string> summary) {
          if (!summary.ok()) {
            WorkDone(absl::StrCat(
                         name, ": work failed: ", summary.status().ToString()),
                     false);
            return;
          }
          HelperProcess* helper = host_.FindHelper(id);
          if (helper == nullptr) {
            WorkDone(absl::StrCat(name, ": ", *summary), true);
            return;
          }
          helper->Ping(absl::Now() + options_.call_timeout,
                       [this, id, name,
                        text = *summary](absl::StatusOr<absl::Duration> rtt) {
                         if (rtt.ok()) round_trips_[id] = *rtt;
                         WorkDone(absl::StrCat(name, ": ", text), rtt.ok());
                       });
        });
  }

  void WorkDone(const std::string& line, bool ok) {
    if (!ok) ++failures_;
    Print(absl::StrCat(ok ? "  ok    " : "  FAIL  ", line, "\n"));
    if (--work_pending_ > 0 || shutting_down_) return;
    Print("\n");
    PrintStatus();
    Print("Commands: status, quit (or Ctrl-C).\n");
    if (quit_requested_) BeginShutdown("end of input");
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
      if (auto it = round_trips_.find(helper->id()); it != round_trips_.end()) {
        row.round_trip = it->second;
      }
      row.frames_sent = helper->channel().frames_sent();
      row.frames_received = helper->channel().frames_received();
      row.sandbox = helper->sandbox_status().sandboxed() ? "sandboxed" : "none";
      rows.push_back(std::move(row));
    }
    Print(FormatStatusTable(rows));
  }

  void OnCommand(std::optional<std::string> line) {
    if (!line.has_value()) {
      // End of input: finish the first round of work, then stop.
      quit_requested_ = true;
      if (work_pending_ == 0) BeginShutdown("end of input");
      return;
    }
    const absl::string_view command = absl::StripAsciiWhitespace(*line);
    if (command.empty()) return;
    if (command == "quit" || command == "exit") {
      BeginShutdown("quit");
    } else if (command == "status") {
      PrintStatus();
    } else if (command == "help") {
      Print("Commands: status, quit.\n");
    } else {
      Print(absl::StrCat("unknown command '", command, "' (try: help)\n"));
    }
  }

  void OnExit(const ExitInfo& info) {
    Print(absl::StrCat("  ", info.role, "-", info.helper_id, " (pid ", info.pid,
                       ") ended: ", info.Describe(), "\n"));
    if (info.kind != ExitKind::kHostShutdown) ++failures_;
  }

  void BeginShutdown(const std::string& why) {
    if (shutting_down_) return;
    shutting_down_ = true;
    Print(absl::StrCat("Shutting down (", why, ")...\n"));
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
  int work_pending_ = 0;
  int failures_ = 0;
  bool quit_requested_ = false;
  bool shutting_down_ = false;
  std::map<uint64_t, absl::Duration> round_trips_;
  std::vector<uv_signal_t*> signals_;
};

}  // namespace

int RunDemo(const RoleRegistry& roles, const DemoOptions& options,
            std::FILE* out) {
  Host::Options host_options;
  host_options.roles = &roles;
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
