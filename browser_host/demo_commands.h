// Carries out the demo's stdin commands (command_parser.h) on the host's
// helpers and the supervisor: status, metrics, crash, kill, restart, spawn,
// help, quit. A line that is not a command gets a one-line hint.
//
// Commands run in the order given. One that acts on a helper (crash, kill,
// restart) while that helper is still starting, or while the app is (the
// demo's first round of work), waits for it, up to `wait_limit`, and holds
// back those after it, end of input included. It is not run, and says why,
// when its helper ends first or the limit passes.
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_BROWSER_HOST_DEMO_COMMANDS_H_
#define BULKHEAD_BROWSER_HOST_DEMO_COMMANDS_H_

#include <uv.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "browser_host/command_parser.h"
#include "browser_host/host_config.h"
#include "host/host.h"
#include "host/supervisor.h"
#include "ipc/uv_handle.h"

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
    // The end of input, in its turn after the commands before it.
    absl::AnyInvocable<void()> end_of_input;
    // Optional: a command is about to act on `helper` ("fault segv", "kill",
    // "restart"), e.g. for the trace.
    absl::AnyInvocable<void(const HelperProcess& helper,
                            const std::string& action)>
        on_action;
    // Optional: whether the app is still starting up (the demo: its first
    // round of work). Commands that act on a helper wait until it is not;
    // call `Resume` when that changes.
    absl::AnyInvocable<bool()> starting_up;
    // Optional: a line given to `Run` has left the queue (carried out,
    // refused, or not run), once per line: e.g. to read the next one.
    absl::AnyInvocable<void()> line_done;
  };

  // How long a command waits for its helper by default.
  static constexpr absl::Duration kDefaultWaitLimit = absl::Seconds(5);

  // Not owned: `host`, `supervisor` and `config` must outlive this.
  DemoCommands(Host& host, Supervisor& supervisor, const HostConfig& config,
               absl::Duration stop_grace, Hooks hooks,
               absl::Duration wait_limit = kDefaultWaitLimit);
  // A command still waiting is dropped (no hook runs).
  ~DemoCommands();
  DemoCommands(const DemoCommands&) = delete;
  DemoCommands& operator=(const DemoCommands&) = delete;

  // Parses and carries out one line, in its turn.
  void Run(absl::string_view line);
  // No more lines: `Hooks::end_of_input` runs in its turn.
  void EndOfInput();

  // Tell it when a helper became ready or the app finished starting up: a
  // command waiting for that runs.
  void Resume();

  // Tell it of every helper that ends: one stopped by `restart` is replaced
  // here (the supervisor does not restart helpers the host stopped), and a
  // command waiting for it is not run.
  void OnExit(const ExitInfo& exit);

 private:
  // A line, or the end of input (nullopt).
  using Entry = std::optional<std::string>;

  // Runs queued entries until one has to wait, or none is left.
  void Pump();
  // Removes the front entry, telling `Hooks::line_done` of a line.
  void PopFront();
  // Runs `command`, or returns false when it has to wait.
  bool TryRun(const Command& command);
  // The helper a command names: a helper by name, or a role's first ready
  // helper, else its first one still starting. Null when there is none.
  HelperProcess* Resolve(const std::string& target) const;
  // Whether `helper` is ready for a command, and the app too.
  bool ReadyForCommands(const HelperProcess& helper);
  void WaitFor(const HelperProcess& helper);
  void StopWaiting();
  void OnWaitLimit();
  void Crash(const Command& command, HelperProcess& helper);
  void Restart(HelperProcess& helper);
  void Spawn(const std::string& role);
  void Acting(const HelperProcess& helper, const std::string& action);

  Host& host_;              // Not owned.
  Supervisor& supervisor_;  // Not owned.
  const HostConfig& config_;
  const absl::Duration stop_grace_;
  Hooks hooks_;
  const absl::Duration wait_limit_;
  std::set<uint64_t> restarting_;  // Helper ids stopped by `restart`.
  std::deque<Entry> queue_;        // The front may be waiting.
  // The helper the front command waits for, while it does.
  std::optional<uint64_t> waiting_for_;
  std::string waiting_name_;
  ipc::UvHandle<uv_timer_t> wait_timer_;
  bool pumping_ = false;
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_DEMO_COMMANDS_H_
