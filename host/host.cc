#include "host/host.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "host/fd_budget.h"
#include "host/launch/launcher.h"
#include "host/launch/sandbox_zygote.h"
#include "host/launch/zygote_host.h"
#include "host/output_writer.h"
#include "host/restart_scheduler.h"
#include "host/symbolizer.h"
#include "ipc/uv_loop.h"

namespace bulkhead {
namespace {

// How long the destructor waits for helpers' forwarded output to be written.
constexpr absl::Duration kOutputFlushTimeout = absl::Milliseconds(500);

}  // namespace

absl::StatusOr<std::unique_ptr<Host>> Host::Create(Options options) {
  BH_RETURN_IF_ERROR(
      Heartbeat::CheckOptions(options.heartbeat, "Host::Options::heartbeat"));
  for (const auto& [role, role_options] : options.role_options) {
    if (role_options.heartbeat.has_value()) {
      BH_RETURN_IF_ERROR(Heartbeat::CheckOptions(
          *role_options.heartbeat,
          absl::StrCat("Host::Options::role_options[", role, "].heartbeat")));
    }
  }
  if (options.executable.empty()) {
    absl::StatusOr<std::string> self = CurrentExecutablePath();
    if (!self.ok()) return self.status();
    options.executable = *std::move(self);
  }
  // Raised (when asked) before anything of the host's is open.
  auto fd_budget =
      std::make_unique<FdBudget>(FdBudget::AtHostStart(options.raise_fd_limit));
  // Ready before the first crash report needs it (reads the executable's
  // symbol table: ~0.1 ms for a small one).
  InitializeSymbolizerOnce();
  std::unique_ptr<Host> host(new Host(std::move(options)));
  host->fd_budget_ = std::move(fd_budget);
  if (host->options_.fork_sandboxed_helpers && SandboxZygotes::Available()) {
    host->sandbox_zygotes_ = std::make_shared<SandboxZygotes>();
  }
  // Post's wakeup (a loop's first async handle needs a descriptor).
  BH_ASSIGN_OR_RETURN(
      host->wakeup_,
      ipc::UvHandle<uv_async_t>::Init(host->loop_, [](uv_async_t* async) {
        static_cast<Host*>(async->data)->RunPostedTasks();
      }));
  host->wakeup_->data = host.get();
  return host;
}

Host::Host(Options options)
    : options_(std::move(options)),
      loop_(options_.loop != nullptr ? options_.loop : &own_loop_),
      restarts_(std::make_unique<RestartScheduler>(
          loop_, [this](const std::string& role, const std::string& why) {
            OnRoleFailed(role, why);
          })) {
  if (options_.loop == nullptr) uv_loop_init(&own_loop_);
  deferred_ = std::make_unique<ipc::DeferredTasks>(loop_);
}

Host::~Host() {
  StopThread();
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  restarts_->Stop();
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    accepting_posts_ = false;
    posted_.clear();
  }
  // Destroying a running helper kills and reaps it.
  helpers_.clear();
  zygote_.reset();
  sandbox_zygotes_.reset();
  // Their sandboxes' inits, killed above: nothing of a helper outlives this.
  FinishPendingReaps(loop_);
  if (options_.forward_helper_output) {
    // Their last lines, before the app exits; not waited for long when the
    // host's output is not being read (output_writer.h).
    OutputWriter::Stdout().Flush(kOutputFlushTimeout);
    OutputWriter::Stderr().Flush(kOutputFlushTimeout);
  }
  deferred_.reset();
  wakeup_.Close();
  // An app's loop is the app's to run and close: the close callbacks run when
  // it next runs the loop.
  if (options_.loop != nullptr) return;
  // Let every close callback run; handles an embedding app left open are closed
  // too.
  if (absl::Status closed = ipc::DrainAndCloseLoop(&own_loop_); !closed.ok()) {
    BH_LOG(kWarning, "loop teardown: ", closed.message());
  }
}

absl::StatusOr<HelperProcess*> Host::Launch(
    absl::string_view role,
    absl::AnyInvocable<void(absl::StatusOr<HelperProcess*>)> on_ready) {
  return Launch(role, LaunchOverrides(), std::move(on_ready));
}

absl::StatusOr<HelperProcess*> Host::Launch(
    absl::string_view role, LaunchOverrides overrides,
    absl::AnyInvocable<void(absl::StatusOr<HelperProcess*>)> on_ready) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (absl::Status known = CheckRole(role); !known.ok()) return known;
  if (shutting_down_)
    return absl::FailedPreconditionError("the host is shutting down");
  if (absl::Status valid = sandbox::CheckEnvironmentEntries(
          "LaunchOverrides::environment", overrides.environment);
      !valid.ok()) {
    return valid;
  }
  if (overrides.heartbeat.has_value()) {
    BH_RETURN_IF_ERROR(Heartbeat::CheckOptions(*overrides.heartbeat,
                                               "LaunchOverrides::heartbeat"));
  }
  const uint64_t id = next_helper_id_++;
  HelperProcess::Options helper_options;
  helper_options.launch.executable = options_.executable;
  helper_options.launch.role = std::string(role);
  helper_options.launch.helper_id = id;
  helper_options.launch.extra_args = options_.helper_args;
  helper_options.launch.memory_limit_bytes = options_.memory_limit_bytes;
  helper_options.launch.sandboxed = options_.sandbox_helpers;
  helper_options.handshake_timeout = options_.handshake_timeout;
  helper_options.launch.handshake_timeout = options_.handshake_timeout;
  helper_options.max_frame_size = options_.max_frame_size;
  helper_options.channel = options_.channel;
  helper_options.heartbeat = options_.heartbeat;
  if (auto it = options_.role_options.find(role);
      it != options_.role_options.end()) {
    const RoleOptions& overrides = it->second;
    helper_options.launch.memory_limit_bytes =
        overrides.memory_limit_bytes.value_or(options_.memory_limit_bytes);
    helper_options.launch.sandboxed =
        overrides.sandbox_helpers.value_or(options_.sandbox_helpers);
    helper_options.heartbeat = overrides.heartbeat.value_or(options_.heartbeat);
  }
  // This launch's own settings win over the host's and the role's.
  helper_options.launch.extra_args.insert(
      helper_options.launch.extra_args.end(), overrides.extra_args.begin(),
      overrides.extra_args.end());
  helper_options.launch.memory_limit_bytes =
      overrides.memory_limit_bytes.value_or(
          helper_options.launch.memory_limit_bytes);
  helper_options.launch.sandboxed =
      overrides.sandboxed.value_or(helper_options.launch.sandboxed);
  if (!helper_options.launch.sandboxed) helper_options.zygote = Zygote();
  if (helper_options.launch.sandboxed) {
    helper_options.sandbox_zygotes = sandbox_zygotes_;
  }
  helper_options.heartbeat =
      overrides.heartbeat.value_or(helper_options.heartbeat);
  // The role's policy names the helper's environment even when it runs
  // unsandboxed: no launch path hands it the host's whole environment.
  sandbox::SandboxPolicy policy = overrides.sandbox_policy.has_value()
                                      ? *overrides.sandbox_policy
                                  : options_.sandbox_policy_for_role
                                      ? options_.sandbox_policy_for_role(role)
                                      : sandbox::PresetForRole(role);
  helper_options.launch.environment = policy.environment;
  helper_options.launch.environment.insert(
      helper_options.launch.environment.end(), overrides.environment.begin(),
      overrides.environment.end());
  if (helper_options.launch.sandboxed) {
    helper_options.launch.sandbox_policy = std::move(policy);
  }
  helper_options.forward_output = options_.forward_helper_output;
  if (!helper_options.launch.sandboxed) {
    // The policy's file access holds whether or not the helper is sandboxed.
    const sandbox::SandboxPolicy policy =
        overrides.sandbox_policy.has_value() ? *overrides.sandbox_policy
        : options_.sandbox_policy_for_role
            ? options_.sandbox_policy_for_role(role)
            : sandbox::PresetForRole(role);
    helper_options.launch.sandbox_policy.broker_rules = policy.broker_rules;
    helper_options.launch.sandbox_policy.preopened = policy.preopened;
  }
  for (const auto& [name, handle] : overrides.files) {
    absl::StatusOr<ScopedHandle> copy = DuplicateNativeHandle(handle);
    if (!copy.ok()) {
      return absl::Status(
          copy.status().code(),
          absl::StrCat("file '", name, "': ", copy.status().message()));
    }
    helper_options.files.emplace_back(
        name, std::make_shared<const ScopedHandle>(*std::move(copy)));
  }
  overrides.files.clear();  // For this launch only, not its restarts.

  HelperProcess::Callbacks callbacks;
  callbacks.on_ready = [this, id, on_ready = std::move(on_ready)](
                           absl::Status status) mutable {
    HelperProcess* helper = FindHelper(id);
    // Charged as forked, it fell back to exec: it holds an exec'd share.
    const bool exec_fallback = helper != nullptr && helper->sandboxed() &&
                               sandbox_zygotes_ != nullptr && !helper->forked();
    fd_budget_->LaunchDone(
        id, exec_fallback ? std::optional<FdBudget::Cost>(FdBudget::kSandboxed)
                          : std::nullopt);
    if (on_ready) {
      if (status.ok()) {
        on_ready(helper);
      } else {
        on_ready(std::move(status));
      }
    }
    if (status.ok() && helper != nullptr && started_handler_) {
      started_handler_(*helper);
    }
  };
  callbacks.on_lifecycle = [this](const LifecycleEvent& event) {
    if (lifecycle_handler_) lifecycle_handler_(event);
  };
  callbacks.on_exit = [this, id](const ExitInfo& info) {
    OnHelperExit(id, info);
  };
  // Refused now, naming the limit, rather than by an EMFILE from whichever
  // call of this launch or a later one needs the next descriptor. Its
  // launch's share until `on_ready` runs (which it does not when the spawn
  // fails here), its running share until it ends.
  // A sandboxed helper that a zygote forks holds fewer than an exec'd one
  // (no init of its own); charged so whenever forking is on, and an exec'd
  // share from its Ready on if it fell back to exec.
  const FdBudget::Cost cost =
      !helper_options.launch.sandboxed            ? FdBudget::kUnsandboxed
      : helper_options.sandbox_zygotes != nullptr ? FdBudget::kForkedSandboxed
                                                  : FdBudget::kSandboxed;
  if (absl::Status room = fd_budget_->Reserve(
          id, cost,
          helper_options.files.size() +
              helper_options.launch.sandbox_policy.preopened.size());
      !room.ok()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot launch a ", role, " helper: ", room.message()));
  }
  absl::StatusOr<std::unique_ptr<HelperProcess>> helper = HelperProcess::Launch(
      loop_, std::move(helper_options), std::move(callbacks));
  if (!helper.ok()) {
    fd_budget_->Release(id);
    // It announced kLaunching; close its stream.
    ExitInfo info;
    info.kind = ExitKind::kLaunchFailed;
    info.launch_status = helper.status();
    info.role = std::string(role);
    info.helper_id = id;
    if (lifecycle_handler_) {
      LifecycleEvent event;
      event.stage = LifecycleStage::kExited;
      event.helper_id = id;
      event.role = info.role;
      event.exit = &info;
      lifecycle_handler_(event);
    }
    return helper.status();
  }
  HelperProcess* raw = helper->get();
  helpers_.emplace(id, *std::move(helper));
  if (overrides.restart && RestartPolicyFor(role) != nullptr) {
    restartable_.emplace(id, std::move(overrides));
  }
  return raw;
}

absl::Status Host::CheckRole(absl::string_view role) const {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (absl::Status valid = RoleRegistry::ValidateName(role); !valid.ok()) {
    return valid;
  }
  if (options_.roles != nullptr && !options_.roles->Contains(role)) {
    return absl::NotFoundError(
        absl::StrCat("unknown role '", role, "'; one of ",
                     absl::StrJoin(options_.roles->names(), ", ")));
  }
  return absl::OkStatus();
}

void Host::SetLifecycleHandler(
    absl::AnyInvocable<void(const LifecycleEvent&)> handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  lifecycle_handler_ = std::move(handler);
}

void Host::SetExitHandler(absl::AnyInvocable<void(const ExitInfo&)> handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  exit_handler_ = std::move(handler);
}

void Host::WatchExit(uint64_t helper_id,
                     absl::AnyInvocable<void(const ExitInfo&)> on_exit) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (on_exit == nullptr || helpers_.count(helper_id) == 0) {
    exit_watches_.erase(helper_id);
    return;
  }
  exit_watches_[helper_id] = std::move(on_exit);
}

void Host::SetHelperStartedHandler(
    absl::AnyInvocable<void(HelperProcess&)> handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  started_handler_ = std::move(handler);
}

void Host::SetRoleFailedHandler(
    absl::AnyInvocable<void(const std::string&, const std::string&)> handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  role_failed_handler_ = std::move(handler);
}

void Host::OnHelperExit(uint64_t id, const ExitInfo& info) {
  auto it = helpers_.find(id);
  if (it == helpers_.end()) return;
  // Keep the helper alive until its exit callback has returned.
  std::unique_ptr<HelperProcess> helper = std::move(it->second);
  helpers_.erase(it);
  fd_budget_->Release(id);
  std::optional<LaunchOverrides> restart;
  if (auto node = restartable_.extract(id); !node.empty()) {
    restart = std::move(node.mapped());
  }
  CountExit(info);
  if (exit_handler_) exit_handler_(info);
  if (auto watch = exit_watches_.extract(id);
      !watch.empty() && watch.mapped()) {
    watch.mapped()(info);
  }
  if (restart.has_value()) MaybeRestart(info, *std::move(restart));
  MaybeFinishShutdown();
  // Deleting `helper` here is safe: HelperProcess::OnExit touches nothing after
  // on_exit.
}

void Host::CountExit(const ExitInfo& info) {
  RoleExits& exits = role_exits_[info.role];
  ++exits.by_kind[info.kind];
  exits.last = info;
}

std::vector<HelperProcess*> Host::helpers() const {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  std::vector<HelperProcess*> list;
  list.reserve(helpers_.size());
  for (const auto& [id, helper] : helpers_) list.push_back(helper.get());
  return list;
}

HelperProcess* Host::FindHelper(uint64_t id) const {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  auto it = helpers_.find(id);
  return it == helpers_.end() ? nullptr : it->second.get();
}

HelperProcess* Host::FindHelper(absl::string_view name) const {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  HelperProcess* by_role = nullptr;
  int role_matches = 0;
  for (const auto& [id, helper] : helpers_) {
    if (helper->name() == name) return helper.get();
    if (helper->role() == name) {
      by_role = helper.get();
      ++role_matches;
    }
  }
  return role_matches == 1 ? by_role : nullptr;
}

void Host::Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  restarts_->Stop();
  for (auto& [id, helper] : helpers_)
    helper->Stop(grace, "host shutdown", HostAction::kShutdownRequested);
  // With no helper left, `done` runs on the next turn, not inside this call.
  deferred_->Post([this](absl::Status run) {
    if (run.ok()) MaybeFinishShutdown();
  });
}

ZygoteHost* Host::Zygote() {
  if (!zygote_tried_ && options_.fork_helpers_from_zygote &&
      ZygoteHost::Available()) {
    zygote_tried_ = true;
    // One exec of the helper binary, as a launch: a few milliseconds.
    absl::StatusOr<std::unique_ptr<ZygoteHost>> started =
        ZygoteHost::Start(loop_, options_.executable, absl::Seconds(10));
    if (started.ok()) {
      zygote_ = *std::move(started);
    } else {
      BH_LOG(kWarning, started.status().message(), "; helpers are exec'd");
    }
  }
  return zygote_ != nullptr && zygote_->alive() ? zygote_.get() : nullptr;
}

void Host::MaybeFinishShutdown() {
  if (!shutting_down_ || !helpers_.empty() || !shutdown_done_) return;
  zygote_.reset();  // No launch may follow.
  sandbox_zygotes_.reset();
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

void Host::Run() {
  if (thread_.joinable()) {
    // The host's own thread runs the loop; running it here too would race.
    BH_LOG(kError, "Host::Run while the host's thread runs its loop");
    std::abort();
  }
  RunLoop();
}

void Host::RunLoop() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  quit_ = false;
  while (!quit_) uv_run(loop_, UV_RUN_DEFAULT);
}

void Host::Quit() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  quit_ = true;
  uv_stop(loop_);
}

void Host::Post(absl::AnyInvocable<void()> task) {
  std::lock_guard<std::mutex> lock(posted_mutex_);
  if (!accepting_posts_) return;
  posted_.push_back(std::move(task));
  uv_async_send(wakeup_.get());
}

void Host::DetachFromLoopThread() {
  loop_thread_.Detach();
  deferred_->DetachFromLoopThread();
  for (auto& [id, helper] : helpers_) helper->DetachFromLoopThread();
}

void Host::RunPostedTasks() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  std::vector<absl::AnyInvocable<void()>> tasks;
  bool stop = false;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    tasks.swap(posted_);
    stop = std::exchange(stop_thread_, false);
  }
  for (auto& task : tasks) task();
  if (stop) Quit();
}

}  // namespace bulkhead
