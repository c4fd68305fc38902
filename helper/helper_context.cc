#include "helper/helper_context.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "helper/beat_sender.h"
#include "helper/diagnostics/escape_attempts.h"
#include "helper/diagnostics/fault_injection.h"
#include "helper/exit_codes.h"
#include "helper/file_client.h"
#include "helper/sandbox_settings.h"
#include "helper/teardown_deferral.h"
#include "helper/warm_up.h"
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

absl::StatusOr<ScopedHandle> HelperContext::TakeFile(absl::string_view name) {
  auto it = launch_files_.find(name);
  if (it == launch_files_.end()) {
    return absl::NotFoundError(
        absl::StrCat("the host handed this helper no file named '", name,
                     "' (or it was taken already)"));
  }
  ScopedHandle file = std::move(it->second);
  launch_files_.erase(it);
  return file;
}

void HelperContext::set_launch_files(
    std::map<std::string, ScopedHandle> files) {
  for (auto& [name, handle] : files) {
#if !defined(_WIN32)
    keep_fds_.push_back(handle.get());
#endif
    launch_files_.insert_or_assign(name, std::move(handle));
  }
}

void HelperContext::OpenFile(
    std::string path, int flags,
    absl::AnyInvocable<void(absl::StatusOr<ScopedHandle>)> done) {
  if (file_client_ == nullptr) {
    file_client_ = std::make_unique<FileClient>(loop_, channel_);
  }
  file_client_->Open(std::move(path), flags, std::move(done));
}

void HelperContext::SetWarmUp(std::string name,
                              absl::AnyInvocable<absl::Status()> warm_up) {
  warm_up_name_ = std::move(name);
  warm_up_ = std::move(warm_up);
}

void HelperContext::Quit(int exit_code) {
  exit_code_ = exit_code;
  uv_stop(loop_);
}

namespace {

EscapeTargets TargetsFromWire(const ipc::EscapeTargets& wire) {
  EscapeTargets targets;
  targets.host_pid = wire.host_pid();
  targets.sibling_pid = wire.sibling_pid();
  targets.tcp_port = wire.tcp_port();
  targets.unix_socket_path = wire.unix_socket_path();
  targets.home_dir = wire.home_dir();
  targets.sibling_channel_path = wire.sibling_channel_path();
  targets.abstract_socket_name = wire.abstract_socket_name();
  targets.view_ro_dir = wire.view_ro_dir();
  targets.view_rw_dir = wire.view_rw_dir();
  targets.view_tmpfs_dir = wire.view_tmpfs_dir();
  targets.view_tmpfs_bytes = wire.view_tmpfs_bytes();
  targets.view_outside_file = wire.view_outside_file();
  targets.broker_dir = wire.broker_dir();
  targets.environment_canary = wire.environment_canary();
  return targets;
}

void AddResults(std::vector<EscapeAttempt> attempts, ipc::Control& reply) {
  for (EscapeAttempt& attempt : attempts) {
    ipc::EscapeAttempt* result = reply.mutable_fault()->add_escape_results();
    result->set_name(std::move(attempt.name));
    result->set_blocked(attempt.blocked);
    result->set_outcome(std::move(attempt.outcome));
  }
}

}  // namespace

absl::StatusOr<ipc::Control> HelperContext::RunEscapeFault(
    const ipc::Control& request) {
  // The escape fault: tries every forbidden thing and answers with what came
  // of each (helper/diagnostics/escape_attempts.h); the file broker's
  // attempts take round trips to the host, so the answer follows them.
  const EscapeTargets targets =
      TargetsFromWire(request.fault().escape_targets());
  std::vector<EscapeAttempt> attempts =
      RunEscapeAttempts(targets, escape_bait_.get());
  if (attempts.empty()) {
    return absl::UnimplementedError("no escape suite on this platform");
  }
  auto reply = std::make_shared<ipc::Control>(request);
  AddResults(std::move(attempts), *reply);
  const uint64_t call_id = channel_->ReplyLater();
  RunBrokerEscapeAttempts(
      *this, targets,
      [this, reply, call_id](std::vector<EscapeAttempt> broker) {
        AddResults(std::move(broker), *reply);
        if (absl::Status sent = channel_->SendLateReply(call_id, *reply);
            !sent.ok()) {
          BH_LOG(kWarning, "cannot answer the escape fault: ", sent.message());
        }
      });
  return ipc::Control();  // Ignored: the answer is sent later.
}

int HelperContext::Run() {
  // Every helper obeys fault injection, whatever its role.
  channel_->ServeControl(
      ipc::Control::kFault,
      [this](const ipc::Control& control) -> absl::StatusOr<ipc::Control> {
        BH_LOG(kWarning, "injecting fault ",
               FaultKindName(control.fault().kind()));
        if (control.fault().kind() == ipc::FAULT_KIND_ESCAPE) {
          return RunEscapeFault(control);
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

  if (warm_up_) {
    if (absl::Status warmed = RunWarmUp(warm_up_name_, warm_up_);
        !warmed.ok()) {
      BH_LOG(kError, warmed.message());
      return kExitWarmUpFailed;
    }
  }
  // A process this helper started before the lockdown (in main, before Run)
  // would keep all it takes: the host's root, the capabilities, no seccomp
  // filter, the channel. As a thread makes the lockdown refuse, so does a
  // living child (Linux, where they are listed).
  if (has_sandbox_settings_) {
    if (absl::StatusOr<std::vector<std::string>> children = ListChildren();
        children.ok() && !children->empty()) {
      constexpr size_t kNamed = 8;
      const size_t named = std::min(children->size(), kNamed);
      BH_LOG(kError, "refusing to run unconfined: ", children->size(),
             " child process(es) started before the lockdown would escape it (",
             absl::StrJoin(children->begin(), children->begin() + named, ", "),
             children->size() > named
                 ? absl::StrCat(" and ", children->size() - named, " more")
                 : "",
             ")");
      return kExitSandboxFailed;
    }
  }
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
  for (const sandbox::FilesystemEntryReport& entry : report.filesystem) {
    ipc::FilesystemViewStatus* out = status->add_filesystem();
    out->set_path(entry.path);
    out->set_kind(entry.kind);
    out->set_in_force(entry.in_force);
    out->set_detail(entry.detail);
  }
  if (absl::Status sent = channel_->SendControl(ready); !sent.ok()) {
    BH_LOG(kError, "cannot report Ready: ", sent.message());
    return kExitChannelLost;
  }
  if (beat_interval_ > absl::ZeroDuration()) {
    beat_sender_ =
        std::make_unique<BeatSender>(loop_, channel_, beat_interval_);
    beat_sender_->Start();
  }
  uv_run(loop_, UV_RUN_DEFAULT);
  return exit_code_;
}

}  // namespace bulkhead
