#include "browser_host/demo_commands.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/utf8.h"
#include "helper/diagnostics/fault_injection.h"
#include "host/host_snapshot.h"
#include "host/openmetrics.h"

namespace bulkhead {

DemoCommands::DemoCommands(Host& host, Supervisor& supervisor,
                           const HostConfig& config, absl::Duration stop_grace,
                           Hooks hooks, absl::Duration wait_limit)
    : host_(host),
      supervisor_(supervisor),
      config_(config),
      stop_grace_(stop_grace),
      hooks_(std::move(hooks)),
      wait_limit_(wait_limit),
      wait_timer_(host_.loop()) {
  wait_timer_->data = this;
}

DemoCommands::~DemoCommands() = default;

void DemoCommands::Run(absl::string_view line) {
  queue_.emplace_back(std::string(line));
  Pump();
}

void DemoCommands::EndOfInput() {
  queue_.emplace_back(std::nullopt);
  Pump();
}

void DemoCommands::Resume() { Pump(); }

void DemoCommands::Pump() {
  // A command's own effects (a quit, a kill) may report back here.
  if (pumping_) return;
  pumping_ = true;
  while (!queue_.empty()) {
    if (!queue_.front().has_value()) {
      PopFront();
      if (hooks_.end_of_input) hooks_.end_of_input();
      continue;
    }
    absl::StatusOr<std::optional<Command>> parsed =
        ParseCommand(*queue_.front());
    if (!parsed.ok()) {
      PopFront();
      hooks_.print(absl::StrCat(parsed.status().message(), "\n"));
      continue;
    }
    if (!parsed->has_value()) {  // A blank line.
      PopFront();
      continue;
    }
    if (!TryRun(**parsed)) break;
  }
  pumping_ = false;
}

void DemoCommands::PopFront() {
  const bool line = queue_.front().has_value();
  queue_.pop_front();
  if (line && hooks_.line_done) hooks_.line_done();
}

bool DemoCommands::TryRun(const Command& command) {
  HelperProcess* helper = nullptr;
  if (command.kind == Command::Kind::kCrash ||
      command.kind == Command::Kind::kKill ||
      command.kind == Command::Kind::kRestart) {
    helper = Resolve(command.target);
    if (helper != nullptr && !ReadyForCommands(*helper)) {
      WaitFor(*helper);
      return false;
    }
  }
  StopWaiting();
  PopFront();
  switch (command.kind) {
    case Command::Kind::kStatus:
      hooks_.show_status();
      return true;
    case Command::Kind::kHelp:
      hooks_.print(kCommandHelp);
      return true;
    case Command::Kind::kMetrics: {
      // A label may hold a helper's control characters, which the format
      // allows raw and a terminal would obey: each line is shown escaped.
      std::string shown;
      for (absl::string_view line :
           absl::StrSplit(WriteOpenMetrics(TakeHostSnapshot(
                              host_, {.supervisor = &supervisor_})),
                          '\n', absl::SkipEmpty())) {
        absl::StrAppend(&shown, PrintableText(line), "\n");
      }
      hooks_.print(shown);
      return true;
    }
    case Command::Kind::kQuit:
      hooks_.quit();
      return true;
    case Command::Kind::kSpawn:
      Spawn(command.target);
      return true;
    default:
      break;
  }
  if (helper == nullptr) {
    hooks_.print(absl::StrCat("no helper '", command.target,
                              "' (see `status` for their names)\n"));
    return true;
  }
  if (command.kind == Command::Kind::kCrash) {
    Crash(command, *helper);
  } else if (command.kind == Command::Kind::kRestart) {
    Restart(*helper);
  } else {
    hooks_.print(absl::StrCat("  killing ", helper->name(), "\n"));
    Acting(*helper, "kill");
    helper->Kill(HostAction::kKillRequested, "killed from the command line");
  }
  return true;
}

HelperProcess* DemoCommands::Resolve(const std::string& target) const {
  if (HelperProcess* helper = host_.FindHelper(target)) return helper;
  // A role with several helpers: its first ready one, else its first one
  // still starting.
  HelperProcess* starting = nullptr;
  for (HelperProcess* helper : host_.helpers()) {
    if (helper->role() != target) continue;
    if (helper->state() == HelperProcess::State::kReady) return helper;
    if (helper->state() == HelperProcess::State::kStarting &&
        starting == nullptr) {
      starting = helper;
    }
  }
  return starting;
}

bool DemoCommands::ReadyForCommands(const HelperProcess& helper) {
  if (helper.state() == HelperProcess::State::kStarting) return false;
  // A helper stopping or gone gets the command at once (and says so).
  return helper.state() != HelperProcess::State::kReady ||
         !hooks_.starting_up || !hooks_.starting_up();
}

void DemoCommands::WaitFor(const HelperProcess& helper) {
  waiting_name_ = helper.name();
  // The deadline is the front command's, whichever helper it settles on.
  if (!waiting_for_.has_value()) {
    uv_timer_start(
        wait_timer_.get(),
        [](uv_timer_t* timer) {
          static_cast<DemoCommands*>(timer->data)->OnWaitLimit();
        },
        static_cast<uint64_t>(absl::ToInt64Milliseconds(wait_limit_)), 0);
  }
  waiting_for_ = helper.id();
}

void DemoCommands::StopWaiting() {
  if (!waiting_for_.has_value()) return;
  waiting_for_.reset();
  uv_timer_stop(wait_timer_.get());
}

void DemoCommands::OnWaitLimit() {
  if (!waiting_for_.has_value() || queue_.empty()) return;
  hooks_.print(absl::StrCat("not run: '", *queue_.front(), "': ", waiting_name_,
                            " was not ready within ",
                            absl::FormatDuration(wait_limit_), "\n"));
  StopWaiting();
  PopFront();
  Pump();
}

void DemoCommands::Crash(const Command& command, HelperProcess& helper) {
  if (helper.state() != HelperProcess::State::kReady) {
    hooks_.print(absl::StrCat(helper.name(), " is ",
                              HelperStateName(helper.state()),
                              ": no fault injected\n"));
    return;
  }
  const std::string fault = FaultKindName(command.fault);
  const std::string name = helper.name();
  hooks_.print(absl::StrCat("  injecting ", fault, " into ", name, "\n"));
  Acting(helper, absl::StrCat("fault ", fault));
  helper.InjectFault(
      command.fault, command.exit_code,
      [print = &hooks_.print, name, fault](absl::Status status) {
        // Faults that end the helper are reported by its exit instead.
        if (status.ok()) {
          (*print)(absl::StrCat("  ", name, " is committing ", fault, "\n"));
        } else if (!absl::IsUnavailable(status) && !absl::IsCancelled(status)) {
          (*print)(absl::StrCat("  ", name, " refused ", fault, ": ",
                                status.message(), "\n"));
        }
      });
}

void DemoCommands::Restart(HelperProcess& helper) {
  if (!supervisor_.supervises(helper.role())) {
    hooks_.print(absl::StrCat(helper.role(), " is not supervised\n"));
    return;
  }
  if (!restarting_.insert(helper.id()).second) return;  // Already stopping.
  hooks_.print(absl::StrCat("  restarting ", helper.name(), "\n"));
  Acting(helper, "restart");
  helper.Stop(stop_grace_, "restart requested");
}

void DemoCommands::Acting(const HelperProcess& helper,
                          const std::string& action) {
  if (hooks_.on_action) hooks_.on_action(helper, action);
}

void DemoCommands::OnExit(const ExitInfo& exit) {
  if (waiting_for_ == exit.helper_id && !queue_.empty()) {
    hooks_.print(absl::StrCat("not run: '", *queue_.front(),
                              "': ", waiting_name_, " ended while it waited (",
                              exit.Describe(), ")\n"));
    StopWaiting();
    PopFront();
  }
  if (restarting_.erase(exit.helper_id) > 0) {
    if (absl::Status spawned = supervisor_.Spawn(exit.role); !spawned.ok()) {
      hooks_.print(absl::StrCat("  cannot restart ", exit.role, ": ",
                                spawned.message(), "\n"));
    }
  }
  Pump();
}

void DemoCommands::Spawn(const std::string& role) {
  absl::Status spawned;
  if (supervisor_.supervises(role)) {
    spawned = supervisor_.Spawn(role);
  } else {
    // A role the config did not start: the config's defaults.
    spawned = supervisor_.Supervise(role, 1, config_.defaults.restart);
  }
  hooks_.print(spawned.ok() ? absl::StrCat("  spawning a ", role, " helper\n")
                            : absl::StrCat("cannot spawn '", role,
                                           "': ", spawned.message(), "\n"));
}

}  // namespace bulkhead
