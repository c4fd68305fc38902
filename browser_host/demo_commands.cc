#include "browser_host/demo_commands.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "helper/diagnostics/fault_injection.h"

namespace bulkhead {

DemoCommands::DemoCommands(Host& host, Supervisor& supervisor,
                           const HostConfig& config, absl::Duration stop_grace,
                           Hooks hooks)
    : host_(host),
      supervisor_(supervisor),
      config_(config),
      stop_grace_(stop_grace),
      hooks_(std::move(hooks)) {}

void DemoCommands::Run(absl::string_view line) {
  absl::StatusOr<std::optional<Command>> parsed = ParseCommand(line);
  if (!parsed.ok()) {
    hooks_.print(absl::StrCat(parsed.status().message(), "\n"));
    return;
  }
  if (!parsed->has_value()) return;  // A blank line.
  const Command& command = **parsed;
  switch (command.kind) {
    case Command::Kind::kStatus:
      hooks_.show_status();
      return;
    case Command::Kind::kHelp:
      hooks_.print(kCommandHelp);
      return;
    case Command::Kind::kQuit:
      hooks_.quit();
      return;
    case Command::Kind::kCrash:
      Crash(command);
      return;
    case Command::Kind::kKill:
      if (HelperProcess* helper = Resolve(command.target)) {
        hooks_.print(absl::StrCat("  killing ", helper->name(), "\n"));
        Acting(*helper, "kill");
        helper->Kill(HostAction::kKillRequested,
                     "killed from the command line");
      }
      return;
    case Command::Kind::kRestart:
      Restart(command);
      return;
    case Command::Kind::kSpawn:
      Spawn(command.target);
      return;
  }
}

HelperProcess* DemoCommands::Resolve(const std::string& target) {
  if (HelperProcess* helper = host_.FindHelper(target)) return helper;
  // A role with several helpers: its first ready one.
  for (HelperProcess* helper : host_.helpers()) {
    if (helper->role() == target &&
        helper->state() == HelperProcess::State::kReady) {
      return helper;
    }
  }
  hooks_.print(absl::StrCat("no helper '", target,
                            "' (see `status` for their names)\n"));
  return nullptr;
}

void DemoCommands::Crash(const Command& command) {
  HelperProcess* helper = Resolve(command.target);
  if (helper == nullptr) return;
  if (helper->state() != HelperProcess::State::kReady) {
    hooks_.print(absl::StrCat(helper->name(), " is not ready yet\n"));
    return;
  }
  const std::string fault = FaultKindName(command.fault);
  const std::string name = helper->name();
  hooks_.print(absl::StrCat("  injecting ", fault, " into ", name, "\n"));
  Acting(*helper, absl::StrCat("fault ", fault));
  helper->InjectFault(
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

void DemoCommands::Restart(const Command& command) {
  HelperProcess* helper = Resolve(command.target);
  if (helper == nullptr) return;
  if (!supervisor_.supervises(helper->role())) {
    hooks_.print(absl::StrCat(helper->role(), " is not supervised\n"));
    return;
  }
  if (!restarting_.insert(helper->id()).second) return;  // Already stopping.
  hooks_.print(absl::StrCat("  restarting ", helper->name(), "\n"));
  Acting(*helper, "restart");
  helper->Stop(stop_grace_, "restart requested");
}

void DemoCommands::Acting(const HelperProcess& helper,
                          const std::string& action) {
  if (hooks_.on_action) hooks_.on_action(helper, action);
}

void DemoCommands::OnExit(const ExitInfo& exit) {
  if (restarting_.erase(exit.helper_id) == 0) return;
  if (absl::Status spawned = supervisor_.Spawn(exit.role); !spawned.ok()) {
    hooks_.print(absl::StrCat("  cannot restart ", exit.role, ": ",
                              spawned.message(), "\n"));
  }
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
