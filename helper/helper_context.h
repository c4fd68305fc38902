// What a role's main function gets: its identity, the loop and the channel to
// the host.
//
// Thread: the helper's main thread, which runs the loop.
#ifndef BULKHEAD_HELPER_HELPER_CONTEXT_H_
#define BULKHEAD_HELPER_HELPER_CONTEXT_H_

#include <uv.h>

#include <cstdint>
#include <string>
#include <utility>

#include "bulkhead/export.h"
#include "ipc/channel.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead {

class BULKHEAD_EXPORT HelperContext {
 public:
  // `loop` and `channel` are not owned; the channel has completed the
  // handshake.
  HelperContext(std::string role, uint64_t helper_id, uv_loop_t* loop,
                ipc::Channel* channel);
  HelperContext(const HelperContext&) = delete;
  HelperContext& operator=(const HelperContext&) = delete;

  const std::string& role() const { return role_; }
  uint64_t helper_id() const { return helper_id_; }
  uv_loop_t* loop() { return loop_; }
  ipc::Channel& channel() { return *channel_; }

  // Locks the helper down as the host's sandbox settings say (a required
  // layer that fails ends the helper with kExitSandboxFailed), reports Ready
  // (with the sandbox probe's findings) and serves until the host
  // sends Shutdown (returns 0) or the channel closes (kExitChannelLost, or
  // kExitProtocolViolation when the host broke the protocol). Call once, after
  // registering handlers.
  int Run();

  // Makes Run() return `exit_code` once the current callback returns.
  void Quit(int exit_code);

  // What the host's Welcome said about the sandbox: Run() locks the helper
  // down accordingly before Ready. Set by MaybeRunHelper.
  void set_sandbox_settings(ipc::SandboxSettings settings) {
    sandbox_settings_ = std::move(settings);
    has_sandbox_settings_ = true;
  }

 private:
  const std::string role_;
  const uint64_t helper_id_;
  uv_loop_t* const loop_;        // Not owned.
  ipc::Channel* const channel_;  // Not owned.
  int exit_code_ = 0;
  ipc::SandboxSettings sandbox_settings_;
  bool has_sandbox_settings_ = false;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_HELPER_CONTEXT_H_
