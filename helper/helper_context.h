// What a role's main function gets: its identity, the loop and the channel to
// the host.
//
// Thread: the helper's main thread, which runs the loop.
#ifndef BULKHEAD_HELPER_HELPER_CONTEXT_H_
#define BULKHEAD_HELPER_HELPER_CONTEXT_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bulkhead/export.h"
#include "ipc/channel.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead {

class EscapeBait;

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

  // Keeps `fd` (not owned) open through the lockdown, which closes every
  // descriptor but stdio, the runtime's own and those kept here: for one the
  // role opened before Run() on purpose (a device, a pre-opened file, the fd
  // of a libuv handle it made on loop(), see uv_fileno). A directory is
  // closed all the same: it would lead out of the empty root. Call before
  // Run().
  void KeepThroughLockdown(int fd) { keep_fds_.push_back(fd); }

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
  // --escape-bait: Run() plants the escape bait before the lockdown
  // (helper/diagnostics/escape_attempts.h). Set by MaybeRunHelper.
  void set_plant_escape_bait(bool plant) { plant_escape_bait_ = plant; }
  // Set by MaybeRunHelper.
  void set_launch_args(std::vector<std::string> args) {
    launch_args_ = std::move(args);
  }

 private:
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
};

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_HELPER_CONTEXT_H_
