// What a role's main function gets: its identity, the loop and the channel to
// the host.
//
// Thread: the helper's main thread, which runs the loop.
#ifndef BULKHEAD_HELPER_HELPER_CONTEXT_H_
#define BULKHEAD_HELPER_HELPER_CONTEXT_H_

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "common/platform_handle.h"
#include "ipc/channel.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead {

class BeatSender;
class EscapeBait;
class FileClient;

class BULKHEAD_EXPORT HelperContext {
 public:
  // `loop` and `channel` are not owned; the channel has completed the
  // handshake.
  HelperContext(std::string role, uint64_t helper_id, uv_loop_t* loop,
                ipc::Channel* channel);
  ~HelperContext();
  HelperContext(const HelperContext&) = delete;
  HelperContext& operator=(const HelperContext&) = delete;

  const std::string& role() const { return role_; }
  uint64_t helper_id() const { return helper_id_; }
  uv_loop_t* loop() { return loop_; }
  ipc::Channel& channel() { return *channel_; }
  // The arguments the helper was launched with after bulkhead's own
  // switches: Host::Options::helper_args, then the launch's
  // LaunchOverrides::extra_args, as the host gave them.
  const std::vector<std::string>& launch_args() const { return launch_args_; }

  // Locks the helper down as the host's sandbox settings say (a required
  // layer that fails ends the helper with kExitSandboxFailed, and so does a
  // second thread: the lockdown runs only in a single-threaded helper, so
  // start threads after Ready, e.g. from a handler), reports Ready
  // (with the sandbox probe's findings) and serves until the host
  // sends Shutdown (returns 0) or the channel closes (kExitChannelLost, or
  // kExitProtocolViolation when the host broke the protocol). Call once, after
  // registering handlers.
  int Run();

  // A sandboxed helper's lockdown refuses (kExitSandboxFailed) while a child
  // process the role started before Run() is alive (Linux): made before the
  // lockdown, it would run without it.
  //
  // Keeps `fd` (not owned) open through the lockdown, which closes every
  // descriptor but stdio, the runtime's own and those kept here: for one the
  // role opened before Run() on purpose (a device, a pre-opened file, the fd
  // of a libuv handle it made on loop(), see uv_fileno). A directory is
  // closed all the same: it would lead out of the empty root. Call before
  // Run().
  void KeepThroughLockdown(int fd) { keep_fds_.push_back(fd); }

  // The file the host handed this helper at launch under `name` (the
  // policy's PreOpen, Host::LaunchOverrides::files): once; NotFound for a
  // name the host did not send or one taken already. Files not taken by
  // Run() are kept through the lockdown all the same, so they may be taken
  // after it too.
  absl::StatusOr<ScopedHandle> TakeFile(absl::string_view name);

  // Asks the host to open `path` (absolute, as the host sees it) with the
  // open(2) `flags` (O_RDONLY, O_WRONLY or O_RDWR, with O_CREAT, O_EXCL,
  // O_TRUNC, O_APPEND, O_NONBLOCK at most): the file broker, for a
  // sandboxed helper that cannot open files itself. The host decides by the
  // role's broker rules (SandboxPolicy::broker_rules) and opens the file
  // itself, never through a symbolic link below the rule's directory, and
  // only a regular file. `done` runs once, on the loop and never inside this
  // call: with the open file (close-on-exec), PERMISSION_DENIED when the
  // rules refuse it (the helper goes on; the host counts and logs it), the
  // OS's error (NOT_FOUND, ...), RESOURCE_EXHAUSTED when 64 requests already
  // wait for the host or the helper asks faster than the host allows,
  // DEADLINE_EXCEEDED after 30 s, UNAVAILABLE when the channel is closed, or
  // CANCELLED when this context goes first. Works before and after Run().
  void OpenFile(std::string path, int flags,
                absl::AnyInvocable<void(absl::StatusOr<ScopedHandle>)> done);

  // Registers the role's warm-up: work that must run before the lockdown
  // (load a plugin, read a model, open what only the unconfined process
  // can), as Chromium's pre-sandbox warm-up. Run() calls it once, before the
  // lockdown and before Ready. It must end every thread and child process it
  // starts: one left behind would keep what the lockdown takes from the
  // process. A warm-up that fails, or leaves a thread or a living child
  // process (Linux, where both are counted), ends
  // the helper with kExitWarmUpFailed, after logging "warm-up '<name>' ..."
  // and why; the host reports a launch failure with that reason
  // (ExitInfo::launch_status). Call before Run(); a second call replaces the
  // first.
  void SetWarmUp(std::string name, absl::AnyInvocable<absl::Status()> warm_up);

  // Makes Run() return `exit_code` once the current callback returns.
  void Quit(int exit_code);

  // What the host's Welcome said about the sandbox: Run() locks the helper
  // down accordingly before Ready. Set by MaybeRunHelper.
  void set_sandbox_settings(ipc::SandboxSettings settings) {
    sandbox_settings_ = std::move(settings);
    has_sandbox_settings_ = true;
  }
  // The descriptors the runtime named or opened for itself (channel, crash
  // pipe, handle socket, the loop's own): kept through the lockdown. Set by
  // MaybeRunHelper.
  void set_runtime_descriptors(std::vector<int> fds) {
    keep_fds_.insert(keep_fds_.end(), fds.begin(), fds.end());
  }
  // The files the Welcome brought (HelperContext::TakeFile): kept through
  // the lockdown. Set by MaybeRunHelper.
  void set_launch_files(std::map<std::string, ScopedHandle> files);
  // The host's heartbeat interval (the Welcome's beat_interval_ms): from
  // Ready on, Run() sends a Beat that often (helper/beat_sender.h). Zero for
  // none. Set by MaybeRunHelper.
  void set_beat_interval(absl::Duration interval) { beat_interval_ = interval; }
  // --escape-bait: Run() plants the escape bait before the lockdown
  // (helper/diagnostics/escape_attempts.h). Set by MaybeRunHelper.
  void set_plant_escape_bait(bool plant) { plant_escape_bait_ = plant; }
  // Set by MaybeRunHelper.
  void set_launch_args(std::vector<std::string> args) {
    launch_args_ = std::move(args);
  }

 private:
  // FAULT_KIND_ESCAPE: the escape suite; answered later, with
  // channel().ReplyLater().
  absl::StatusOr<ipc::Control> RunEscapeFault(const ipc::Control& request);

  const std::string role_;
  const uint64_t helper_id_;
  uv_loop_t* const loop_;        // Not owned.
  ipc::Channel* const channel_;  // Not owned.
  int exit_code_ = 0;
  ipc::SandboxSettings sandbox_settings_;
  bool has_sandbox_settings_ = false;
  std::vector<int> keep_fds_;
  bool plant_escape_bait_ = false;
  std::vector<std::string> launch_args_;
  std::unique_ptr<EscapeBait> escape_bait_;  // Planted by Run() on request.
  absl::Duration beat_interval_;
  std::unique_ptr<BeatSender> beat_sender_;  // From Ready on.
  std::map<std::string, ScopedHandle, std::less<>> launch_files_;
  std::unique_ptr<FileClient> file_client_;  // Made on first use.
  std::string warm_up_name_;
  absl::AnyInvocable<absl::Status()> warm_up_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_HELPER_CONTEXT_H_
