#include "helper/helper_context.h"

#include <utility>

#include "common/logging.h"
#include "helper/diagnostics/escape_attempts.h"
#include "helper/diagnostics/fault_injection.h"
#include "helper/exit_codes.h"
#include "helper/sandbox_settings.h"
#include "helper/teardown_deferral.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_probe.h"

namespace bulkhead {

HelperContext::HelperContext(std::string role, uint64_t helper_id,
                             uv_loop_t* loop, ipc::Channel* channel)
    : role_(std::move(role)),
      helper_id_(helper_id),
      loop_(loop),
      channel_(channel) {}

HelperContext::~HelperContext() = default;

void HelperContext::Quit(int exit_code) {
  exit_code_ = exit_code;
  uv_stop(loop_);
}

namespace {

// The escape fault: tries every forbidden thing and answers with what came
// of each (helper/diagnostics/escape_attempts.h).
absl::StatusOr<ipc::Control> RunEscapeFault(const ipc::Control& request,
                                            const EscapeBait* bait) {
  const ipc::EscapeTargets& wire = request.fault().escape_targets();
  EscapeTargets targets;
  targets.host_pid = wire.host_pid();
  targets.sibling_pid = wire.sibling_pid();
  targets.tcp_port = wire.tcp_port();
  targets.unix_socket_path = wire.unix_socket_path();
  targets.home_dir = wire.home_dir();
  targets.sibling_channel_path = wire.sibling_channel_path();
  targets.abstract_socket_name = wire.abstract_socket_name();
  targets.environment_canary = wire.environment_canary();
  std::vector<EscapeAttempt> attempts = RunEscapeAttempts(targets, bait);
  if (attempts.empty()) {
    return absl::UnimplementedError("no escape suite on this platform");
  }
  ipc::Control reply = request;
  for (EscapeAttempt& attempt : attempts) {
    ipc::EscapeAttempt* result = reply.mutable_fault()->add_escape_results();
    result->set_name(std::move(attempt.name));
    result->set_blocked(attempt.blocked);
    result->set_outcome(std::move(attempt.outcome));
  }
  return reply;
}

}  // namespace

int HelperContext::Run() {
  // Every helper obeys fault injection, whatever its role.
  channel_->ServeControl(
      ipc::Control::kFault,
      [this](const ipc::Control& control) -> absl::StatusOr<ipc::Control> {
        BH_LOG(kWarning, "injecting fault ",
               FaultKindName(control.fault().kind()));
        if (control.fault().kind() == ipc::FAULT_KIND_ESCAPE) {
          return RunEscapeFault(control, escape_bait_.get());
        }
        if (absl::Status injected = InjectFault(control.fault(), *this);
            !injected.ok()) {
          return injected;
        }
        return control;  // The acknowledgement.
      });
  // Learning mode's record (empty unless the policy asked for learning).
  channel_->ServeControl(
      ipc::Control::kLearned,
      [](const ipc::Control&) -> absl::StatusOr<ipc::Control> {
        ipc::Control reply;
        for (std::string& name : sandbox::LearnedSyscalls()) {
          reply.mutable_learned()->add_syscalls(std::move(name));
        }
        return reply;
      });
  channel_->OnControl(
      ipc::Control::kShutdown, [this](const ipc::Control& control) {
        BH_LOG(kInfo, "shutdown requested: ", control.shutdown().reason());
        Quit(0);
      });

  // Before the lockdown, as a library's descriptors and threads would be.
  if (plant_escape_bait_) escape_bait_ = EscapeBait::Plant();
  if (has_sandbox_settings_) {
    absl::StatusOr<sandbox::LockdownRequest> request =
        LockdownRequestFromSettings(sandbox_settings_);
    absl::Status locked = request.status();
    if (request.ok()) {
      request->keep_fds = keep_fds_;
      auto lock_down = [&] { return sandbox::LockDown(*request).status(); };
      locked = escape_bait_ != nullptr ? escape_bait_->LockDownBeside(lock_down)
                                       : lock_down();
    }
    if (!locked.ok()) {
      BH_LOG(kError, "refusing to run unconfined: ", locked.message());
      return kExitSandboxFailed;
    }
  }
  // After the lockdown, so that the keeper inherits it: the host then hears
  // of this helper's end before its memory is torn down.
  if (absl::Status deferred = DeferTeardownToKeeper(has_sandbox_settings_);
      !deferred.ok() && !absl::IsUnimplemented(deferred)) {
    BH_LOG(kWarning, "no teardown keeper: ", deferred.message());
  }

  ipc::Control ready;
  ipc::SandboxStatus* status = ready.mutable_ready()->mutable_sandbox();
  sandbox::SandboxReport report = sandbox::ProbeSandbox();
  status->set_sandboxed(report.sandboxed);
  status->set_network(report.network);
  for (auto& [layer, state] : report.layers)
    (*status->mutable_layers())[layer] = state;
  if (absl::Status sent = channel_->SendControl(ready); !sent.ok()) {
    BH_LOG(kError, "cannot report Ready: ", sent.message());
    return kExitChannelLost;
  }
  uv_run(loop_, UV_RUN_DEFAULT);
  return exit_code_;
}

}  // namespace bulkhead
