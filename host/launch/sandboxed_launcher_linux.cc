// Linux: the helper starts in new namespaces (user, pid, net, mount, ipc,
// uts, as its policy says) made by clone3 with CLONE_PIDFD, falling back to
// clone on kernels without clone3. Its uid and gid maps are written before it
// may go on; it then execs this binary. The clone and the wait for the exec
// run on the launcher thread (launcher_thread.h), not the loop's. Its exit is
// watched through the pidfd on the loop and read with waitid, never by
// polling.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/compiler.h"
#include "common/kernel_file_linux.h"
#include "common/logging.h"
#include "common/os_error.h"
#include "common/platform_handle.h"
#include "common/status_macros.h"
#include "host/launch/helper_cgroup_linux.h"
#include "host/launch/helper_environment.h"
#include "host/launch/init_reaper_linux.h"
#include "host/launch/launch_support_linux.h"
#include "host/launch/launcher_thread.h"
#include "host/launch/namespaced_child_process_linux.h"
#include "host/launch/sandbox_child_linux.h"
#include "host/launch/sandbox_zygote_linux.h"
#include "host/launch/sandboxed_launcher.h"
#include "ipc/uv_status.h"

namespace bulkhead {
namespace {

using sandbox::Layer;
using sandbox::Requirement;

}  // namespace

uint64_t NamespaceFlags(const sandbox::SandboxPolicy& policy) {
  const std::pair<Layer, uint64_t> layers[] = {
      {Layer::kUserNamespace, CLONE_NEWUSER},
      {Layer::kPidNamespace, CLONE_NEWPID},
      {Layer::kNetNamespace, CLONE_NEWNET},
      {Layer::kMountNamespace, CLONE_NEWNS},
      {Layer::kIpcNamespace, CLONE_NEWIPC},
      {Layer::kUtsNamespace, CLONE_NEWUTS}};
  uint64_t flags = 0;
  for (const auto& [layer, flag] : layers) {
    if (policy.enabled(layer)) flags |= flag;
  }
  return flags;
}

// clone3 with CLONE_PIDFD, or clone where clone3 is missing. Returns the pid
// (0 in the child) and sets `pidfd`.
pid_t CloneWithPidfd(uint64_t flags, int* pidfd) {
  clone_args args = {};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uintptr_t>(pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
    // x86-64 order: flags, stack, parent_tid (the pidfd), child_tid, tls.
    pid = ::syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, nullptr, pidfd,
                    nullptr, nullptr);
  }
  return static_cast<pid_t>(pid);
}

absl::Status WriteIdMaps(pid_t pid) {
  // The child is root in its namespace, mapped to the host's own ids: no
  // privilege is needed to write these maps.
  BH_RETURN_IF_ERROR(WriteKernelFile(absl::StrCat("/proc/", pid, "/uid_map"),
                                     absl::StrCat("0 ", ::geteuid(), " 1\n")));
  BH_RETURN_IF_ERROR(
      WriteKernelFile(absl::StrCat("/proc/", pid, "/setgroups"), "deny\n"));
  return WriteKernelFile(absl::StrCat("/proc/", pid, "/gid_map"),
                         absl::StrCat("0 ", ::getegid(), " 1\n"));
}

namespace {

absl::Status NamespaceError(int error, uint64_t flags) {
  std::string why =
      absl::StrCat("clone3 with new namespaces: ", std::strerror(error));
  if ((flags & CLONE_NEWUSER) != 0 && (error == EPERM || error == ENOSPC ||
                                       error == EACCES || error == EINVAL)) {
    absl::StrAppend(
        &why,
        ". Unprivileged user namespaces look disabled: check the sysctls "
        "kernel.unprivileged_userns_clone=1, user.max_user_namespaces>0 and "
        "kernel.apparmor_restrict_unprivileged_userns=0, or launch with "
        "--no-sandbox (debugging only)");
  }
  return absl::FailedPreconditionError(
      absl::StrCat("sandbox layer user-ns (required) failed: ", why));
}

// A sandboxed launch in flight, shared by the loop thread (which sets it up
// and takes the child over) and the launcher thread (which clones init and
// waits for the helper's exec), PendingLaunch ordering the two.
struct SandboxLaunch {
  // Kills and reaps an init the loop never took (cancelled, or failed after
  // the clone), then (members) removes the cgroup, empty by then.
  ~SandboxLaunch() {
    if (forked.has_value()) {
      ::syscall(SYS_pidfd_send_signal, forked->pidfd.get(), SIGKILL, nullptr,
                0);
      SweepProcessTree(forked->pid);
      // Never to register: not a helper about to, for the orphan sweep.
      if (zygote != nullptr) zygote->ForgetInFlight(forked->pid);
    }
    if (!pidfd.is_valid()) return;
    ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    ReapPidfd(pidfd.get(), /*wait=*/true);
  }

  // On the launcher thread: make the cgroup, clone init (the launcher thread
  // is its parent, and so its parent-death signal is the process's), map its
  // ids, put it in its cgroup, let it go, and wait for the helper's exec.
  void Run();
  absl::Status LetItGo();
  // Forks the helper from its shape's zygote. Unavailable: exec it instead.
  absl::Status ForkFromZygote();
  // The helper's numbered copies and the exec's own pipes, and `plan`'s fds.
  absl::Status PrepareForExec();
  // Once a process has its copies.
  void CloseHelperEnds();

  std::string executable;
  std::string role;
  std::vector<std::string> args;
  std::vector<std::string> environment;
  std::vector<char*> argv;
  std::vector<char*> envp;
  SandboxChildPlan plan;
  uint64_t flags = 0;
  bool user_namespace_best_effort = false;

  // The helper's ends, closed once init has its copies.
  ScopedHandle helper_channel, helper_stdin, helper_out, helper_err,
      helper_crash, helper_handles, helper_go, helper_error, init_status;
  // The host's ends (the loop's), and the pipes' other ends.
  HandlePair channel;
  PipeEnds out, err, crash, go, exec_error, status;
  // What Run makes the cgroup with.
  bool want_cgroup = false;
  bool cgroup_required = false;
  std::string cgroup_name;
  uint64_t cgroup_memory_bytes = 0;
  uint64_t cgroup_pids = 0;
  std::unique_ptr<HelperCgroup> cgroup;  // Outlives `pidfd`'s reaping.
  std::string cgroup_note;

  // Set by Run.
  absl::Status result;
  pid_t pid = -1;
  ScopedHandle pidfd;  // Until the loop takes init over.

  // Forking (sandbox_zygote.h): null to exec.
  std::shared_ptr<SandboxZygotes> zygotes;
  std::shared_ptr<SandboxZygote> zygote;  // Set by Run when it forked.
  std::optional<SandboxFork> forked;      // Until the loop takes it over.
};

// The forked child's go pipe, at this fd number until it has read from it.
constexpr int kGoTarget = 10;

absl::Status SandboxLaunch::ForkFromZygote() {
  if (zygotes == nullptr) return absl::UnavailableError("no zygotes");
  std::shared_ptr<SandboxZygote> from =
      zygotes->ForShape(ShapeKey{executable, flags});
  if (from == nullptr) return absl::UnavailableError("no zygote");
  BH_ASSIGN_OR_RETURN(PipeEnds go_pipe, MakePipe(O_CLOEXEC));
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return LastPosixErrorToStatus("open /dev/null");
  ScopedHandle dev_null(null_fd);
  // The helper's fds by number (the zygote places them): sent, not copied.
  const int sources[] = {dev_null.get(),
                         out.write.is_valid() ? out.write.get() : STDOUT_FILENO,
                         err.write.is_valid() ? err.write.get() : STDERR_FILENO,
                         channel.second.get(),
                         crash.write.is_valid() ? crash.write.get() : -1,
                         helper_handles.is_valid() ? helper_handles.get() : -1};
  std::vector<int> fds, targets;
  for (int target = 0; target <= kHelperHandleFd; ++target) {
    if (sources[target] < 0) continue;
    fds.push_back(sources[target]);
    targets.push_back(target);
  }
  fds.push_back(go_pipe.read.get());
  targets.push_back(kGoTarget);
  absl::StatusOr<SandboxFork> fork =
      from->Fork(args, environment, fds, targets, kGoTarget);
  if (!fork.ok()) {
    // Refused, or given up (it lied or died): this helper is exec'd too. A
    // child it may have forked never gets its go byte: the go pipe closes
    // here, and it exits.
    return absl::UnavailableError(fork.status().message());
  }
  go_pipe.read.reset();
  forked = *std::move(fork);
  zygote = std::move(from);
  CloseHelperEnds();
  // From here on the helper's ends are closed: whatever fails fails the
  // launch (never Unavailable, which would exec with those fds), and the
  // child, which never got its go byte, is killed.
  absl::Status started = absl::OkStatus();
  if (cgroup != nullptr) {
    // Before it may go on: everything it starts is born inside.
    started = cgroup->AddProcess(forked->pid);
  }
  const char one = 1;
  if (started.ok() && ::write(go_pipe.write.get(), &one, 1) != 1) {
    started = LastPosixErrorToStatus("write to the helper's go pipe");
  }
  if (!started.ok()) {
    ::syscall(SYS_pidfd_send_signal, forked->pidfd.get(), SIGKILL, nullptr, 0);
    zygote->ForgetInFlight(forked->pid);
    forked.reset();
    return absl::AbortedError(absl::StrCat(
        "the helper forked by the sandboxed zygote could not be started: ",
        started.message()));
  }
  return absl::OkStatus();
}

absl::Status SandboxLaunch::PrepareForExec() {
  BH_ASSIGN_OR_RETURN(helper_channel, HighCopy(channel.second.get()));
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return LastPosixErrorToStatus("open /dev/null");
  ScopedHandle dev_null(null_fd);
  BH_ASSIGN_OR_RETURN(helper_stdin, HighCopy(dev_null.get()));
  if (out.write.is_valid()) {
    BH_ASSIGN_OR_RETURN(helper_out, HighCopy(out.write.get()));
  }
  if (err.write.is_valid()) {
    BH_ASSIGN_OR_RETURN(helper_err, HighCopy(err.write.get()));
  }
  if (crash.write.is_valid()) {
    BH_ASSIGN_OR_RETURN(helper_crash, HighCopy(crash.write.get()));
  }
  BH_ASSIGN_OR_RETURN(go, MakePipe(O_CLOEXEC));
  BH_ASSIGN_OR_RETURN(exec_error, MakePipe(O_CLOEXEC));
  BH_ASSIGN_OR_RETURN(helper_go, HighCopy(go.read.get()));
  BH_ASSIGN_OR_RETURN(helper_error, HighCopy(exec_error.write.get()));
  BH_ASSIGN_OR_RETURN(status, MakePipe(O_CLOEXEC | O_NONBLOCK));
  BH_ASSIGN_OR_RETURN(init_status, HighCopy(status.write.get()));
  plan.status_fd = init_status.get();
  plan.fds[0] = helper_stdin.get();
  plan.fds[1] = helper_out.is_valid() ? helper_out.get() : STDOUT_FILENO;
  plan.fds[2] = helper_err.is_valid() ? helper_err.get() : STDERR_FILENO;
  plan.fds[kHelperChannelFd] = helper_channel.get();
  plan.fds[kHelperCrashFd] = helper_crash.is_valid() ? helper_crash.get() : -1;
  plan.fds[kHelperHandleFd] = helper_handles.get();
  plan.go_fd = helper_go.get();
  plan.error_fd = helper_error.get();
  return absl::OkStatus();
}

void SandboxLaunch::CloseHelperEnds() {
  helper_channel.reset();
  helper_stdin.reset();
  helper_out.reset();
  helper_err.reset();
  helper_crash.reset();
  helper_handles.reset();
  helper_go.reset();
  helper_error.reset();
  go.read.reset();
  exec_error.write.reset();
  out.write.reset();
  err.write.reset();
  crash.write.reset();
  channel.second.reset();
  init_status.reset();
  status.write.reset();
}

void SandboxLaunch::Run() {
  // The cgroup first: a required one that cannot be made fails the launch
  // before anything runs. Made here, not on the loop: Create first reclaims
  // what dead hosts left, which may take a second or two.
  if (want_cgroup) {
    absl::StatusOr<std::unique_ptr<HelperCgroup>> made =
        HelperCgroup::Create(cgroup_name, cgroup_memory_bytes, cgroup_pids);
    if (made.ok()) {
      cgroup = *std::move(made);
    } else if (cgroup_required) {
      result = absl::FailedPreconditionError(absl::StrCat(
          "sandbox layer cgroup (required) failed: ", made.status().message()));
      return;
    } else {
      cgroup_note = std::string(made.status().message());
    }
  }
  if (zygotes != nullptr) {
    if (absl::Status from_zygote = ForkFromZygote();
        !absl::IsUnavailable(from_zygote)) {
      result = from_zygote;  // Forked, or failed after the fork.
      return;
    }
    // Exec'd after all: what only an exec needs is made now.
    if (absl::Status prepared = PrepareForExec(); !prepared.ok()) {
      result = prepared;
      return;
    }
  }
  int raw_pidfd = -1;
  pid_t child = CloneWithPidfd(flags, &raw_pidfd);
  if (child == 0) RunSandboxChild(plan);
  if (child < 0 && (flags & CLONE_NEWUSER) != 0 && user_namespace_best_effort) {
    // Without a user namespace the others need privilege (e.g. root).
    BH_LOG(kWarning, "no user namespace (", std::strerror(errno),
           "); launching ", role, " without one");
    flags &= ~static_cast<uint64_t>(CLONE_NEWUSER);
    child = CloneWithPidfd(flags, &raw_pidfd);
    if (child == 0) RunSandboxChild(plan);
  }
  if (child < 0) {
    result = NamespaceError(errno, flags);
    return;
  }
  pid = child;
  pidfd.reset(raw_pidfd);
  CloseHelperEnds();
  result = LetItGo();
}

absl::Status SandboxLaunch::LetItGo() {
  if ((flags & CLONE_NEWUSER) != 0) BH_RETURN_IF_ERROR(WriteIdMaps(pid));
  if (cgroup != nullptr) {
    // Before it may go on: everything it starts is born inside.
    BH_RETURN_IF_ERROR(cgroup->AddProcess(pid));
  }
  BH_RETURN_IF_ERROR(LetGoAndAwaitExec(std::move(go.write),
                                       exec_error.read.get(),
                                       absl::StrCat(executable, " sandboxed")));
  return absl::OkStatus();
}

// On the loop thread, once the launcher thread is done: the child, watched.
absl::StatusOr<std::unique_ptr<ChildProcess>> TakeOver(
    uv_loop_t* loop, SandboxLaunch& launch, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit) {
  BH_RETURN_IF_ERROR(launch.result);
  std::unique_ptr<ChildProcess> child;
  if (launch.forked.has_value()) {
    auto forked = std::make_unique<SandboxForkedChild>(
        launch.zygote, *std::move(launch.forked), std::move(launch.cgroup),
        std::move(launch.cgroup_note), std::move(on_exit));
    launch.forked.reset();
    // From here a failure returns, and `forked`'s destructor kills it.
    BH_RETURN_IF_ERROR(forked->Watch(loop));
    child = std::move(forked);
  } else {
    auto exec = std::make_unique<NamespacedChildProcess>(
        loop, launch.pid, std::move(launch.pidfd),
        std::move(launch.status.read), std::move(launch.cgroup),
        std::move(launch.cgroup_note), std::move(on_exit));
    // From here a failure returns, and `exec`'s destructor kills and reaps it.
    BH_RETURN_IF_ERROR(exec->Watch());
    child = std::move(exec);
  }
  BH_RETURN_IF_ERROR(
      OpenInLibuv(stdio.channel, std::move(launch.channel.first), "channel"));
  if (stdio.stdout_pipe != nullptr) {
    BH_RETURN_IF_ERROR(
        OpenInLibuv(stdio.stdout_pipe, std::move(launch.out.read), "stdout"));
  }
  if (stdio.stderr_pipe != nullptr) {
    BH_RETURN_IF_ERROR(
        OpenInLibuv(stdio.stderr_pipe, std::move(launch.err.read), "stderr"));
  }
  if (stdio.crash_pipe != nullptr) {
    BH_RETURN_IF_ERROR(OpenInLibuv(stdio.crash_pipe,
                                   std::move(launch.crash.read), "crash pipe"));
  }
  return child;
}

}  // namespace

bool SandboxedLaunchAvailable() { return true; }

absl::StatusOr<SpawnStart> StartSandboxedSpawn(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit, SpawnedCallback on_spawned,
    std::shared_ptr<SandboxZygotes> zygotes) {
  auto launch = std::make_shared<SandboxLaunch>();
  SandboxLaunch& l = *launch;
  l.zygotes = std::move(zygotes);
  l.executable = options.executable;
  if (l.executable.empty()) {
    BH_ASSIGN_OR_RETURN(l.executable, CurrentExecutablePath());
  }
  // What can be told now is told now: the exec itself is checked later.
  if (::access(l.executable.c_str(), X_OK) != 0) {
    return LastPosixErrorToStatus(
        absl::StrCat("start ", l.executable, " sandboxed"));
  }
  l.role = options.role;
  const bool with_crash_pipe = stdio.crash_pipe != nullptr;
  const bool with_handles = stdio.handle_socket >= 0;
  l.args = HelperCommandLine(l.executable, options,
                             with_crash_pipe ? kHelperCrashFd : -1,
                             with_handles ? kHelperHandleFd : -1);
  for (std::string& arg : l.args) l.argv.push_back(arg.data());
  l.argv.push_back(nullptr);

  // The helper's ends, all numbered >= kFirstSourceFd and close-on-exec; the
  // host's ends go to libuv once the child exists.
  // The host's ends (and the helper's originals); the helper's numbered
  // copies and the exec's own pipes only for an exec (PrepareForExec): a
  // launch a zygote forks holds fewer descriptors while it waits.
  BH_ASSIGN_OR_RETURN(l.channel, CreateStreamPair());
  if (stdio.stdout_pipe != nullptr) {
    BH_ASSIGN_OR_RETURN(l.out, MakePipe(O_CLOEXEC));
  }
  if (stdio.stderr_pipe != nullptr) {
    BH_ASSIGN_OR_RETURN(l.err, MakePipe(O_CLOEXEC));
  }
  if (with_crash_pipe) {
    BH_ASSIGN_OR_RETURN(l.crash, MakePipe(O_CLOEXEC));
  }
  if (with_handles) {
    // A copy of its own: the caller's may close once this returns.
    BH_ASSIGN_OR_RETURN(l.helper_handles, HighCopy(stdio.handle_socket));
  }
  l.plan.executable = l.executable.c_str();
  l.plan.argv = l.argv.data();
  l.environment = HelperEnvironment(options.environment, /*sandboxed=*/true);
  for (std::string& variable : l.environment) {
    l.envp.push_back(variable.data());
  }
  l.envp.push_back(nullptr);
  l.plan.envp = l.envp.data();
  if (l.zygotes == nullptr) BH_RETURN_IF_ERROR(l.PrepareForExec());

  // The cgroup is made on the launcher thread (Run), first.
  const sandbox::SandboxPolicy& policy = options.sandbox_policy;
  l.want_cgroup = policy.enabled(Layer::kCgroup);
  l.cgroup_required =
      policy.requirement(Layer::kCgroup) == Requirement::kRequired;
  l.cgroup_name = absl::StrCat(options.helper_id);
  l.cgroup_memory_bytes = policy.limits.cgroup_memory_bytes != 0
                              ? policy.limits.cgroup_memory_bytes
                              : options.memory_limit_bytes;
  l.cgroup_pids = policy.limits.cgroup_pids;
  l.flags = NamespaceFlags(policy);
  l.user_namespace_best_effort =
      policy.requirement(Layer::kUserNamespace) == Requirement::kBestEffort;

  SpawnStart start;
  BH_ASSIGN_OR_RETURN(
      start.pending,
      PendingLaunch::Start(
          loop, [launch] { launch->Run(); },
          [launch, loop, stdio, on_exit = std::move(on_exit),
           on_spawned = std::move(on_spawned)]() mutable {
            on_spawned(TakeOver(loop, *launch, stdio, std::move(on_exit)));
          }));
  return start;
}

}  // namespace bulkhead
