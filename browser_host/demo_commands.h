// Carries out the demo's stdin commands (command_parser.h) on the host's
// helpers and the supervisor: status, crash, kill, restart, spawn, help,
// quit. A line that is not a command gets a one-line hint.
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_BROWSER_HOST_DEMO_COMMANDS_H_
#define BULKHEAD_BROWSER_HOST_DEMO_COMMANDS_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "browser_host/command_parser.h"
#include "browser_host/host_config.h"
#include "host/host.h"
#include "host/supervisor.h"

namespace bulkhead {

class DemoCommands {
 public:
  struct Hooks {
    // Whole lines for the user.
    absl::AnyInvocable<void(const std::string& text)> print;
    // `status`.
    absl::AnyInvocable<void()> show_status;
    // `quit`.
    absl::AnyInvocable<void()> quit;
    // Optional: a command is about to act on `helper` ("fault segv", "kill",
    // "restart"), e.g. for the trace.
    absl::AnyInvocable<void(const HelperProcess& helper,
                            const std::string& action)>
        on_action;
  };

  // Not owned: `host`, `supervisor` and `config` must outlive this.
  DemoCommands(Host& host, Supervisor& supervisor, const HostConfig& config,
               absl::Duration stop_grace, Hooks hooks);

  // Parses and carries out one line.
  void Run(absl::string_view line);

  // Tell it of every helper that ends: one stopped by `restart` is replaced
  // here (the supervisor does not restart helpers the host stopped).
  void OnExit(const ExitInfo& exit);

 private:
  // A helper by name, or the first ready helper of a role; prints why not
  // and returns null when there is none.
  HelperProcess* Resolve(const std::string& target);
  void Crash(const Command& command);
  void Restart(const Command& command);
  void Spawn(const std::string& role);
  void Acting(const HelperProcess& helper, const std::string& action);

  Host& host_;              // Not owned.
  Supervisor& supervisor_;  // Not owned.
  const HostConfig& config_;
  const absl::Duration stop_grace_;
  Hooks hooks_;
  std::set<uint64_t> restarting_;  // Helper ids stopped by `restart`.
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_DEMO_COMMANDS_H_
