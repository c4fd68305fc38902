// Linux: the helper starts in new namespaces (user, pid, net, mount, ipc,
// uts, as its policy says) made by clone3 with CLONE_PIDFD, falling back to
// clone on kernels without clone3. Its uid and gid maps are written before it
// may go on; it then execs this binary. Its exit is watched through the pidfd
// on the loop and read with waitid, never by polling.
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

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "browser_host/helper_cgroup_linux.h"
#include "browser_host/launch_support_posix.h"
#include "browser_host/namespaced_child_process_linux.h"
#include "browser_host/sandbox_child_linux.h"
#include "browser_host/sandboxed_launcher.h"
#include "common/compiler.h"
#include "common/kernel_file_linux.h"
#include "common/logging.h"
#include "common/os_error.h"
#include "common/platform_handle.h"
#include "common/status_macros.h"
#include "ipc/uv_status.h"

extern char** environ;

namespace bulkhead {
namespace {

using sandbox::Layer;
using sandbox::Requirement;

// The helper's fds are dup2'ed from here up, so no source collides with a
// target (0-4).
constexpr int kFirstSourceFd = 10;

// A close-on-exec duplicate numbered kFirstSourceFd or above.
absl::StatusOr<ScopedHandle> HighCopy(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, kFirstSourceFd);
  if (copy < 0) return LastPosixErrorToStatus("fcntl(F_DUPFD_CLOEXEC)");
  return ScopedHandle(copy);
}

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

// The host's environment. In an AddressSanitizer build, LeakSanitizer is
// turned off for sandboxed helpers: its exit-time check reads /proc and
// suspends threads, which the sandbox refuses, and it would fail every helper.
// Unsandboxed helpers and the host keep it.
std::vector<std::string> SandboxedEnvironment() {
  std::vector<std::string> variables;
  bool asan_options_seen = false;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    std::string text = *variable;
    if (BH_ADDRESS_SANITIZER && absl::StartsWith(text, "ASAN_OPTIONS=")) {
      absl::StrAppend(&text, ":detect_leaks=0");
      asan_options_seen = true;
    }
    variables.push_back(std::move(text));
  }
  if (BH_ADDRESS_SANITIZER && !asan_options_seen) {
    variables.push_back("ASAN_OPTIONS=detect_leaks=0");
  }
  return variables;
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

}  // namespace

bool SandboxedLaunchAvailable() { return true; }

absl::StatusOr<std::unique_ptr<ChildProcess>> SpawnSandboxedHelper(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit) {
  std::string executable = options.executable;
  if (executable.empty()) {
    BH_ASSIGN_OR_RETURN(executable, CurrentExecutablePath());
  }
  const bool with_crash_pipe = stdio.crash_pipe != nullptr;
  const bool with_handles = stdio.handle_socket >= 0;
  std::vector<std::string> args = HelperCommandLine(
      executable, options, with_crash_pipe ? kHelperCrashFd : -1,
      with_handles ? kHelperHandleFd : -1);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The helper's ends, all numbered >= kFirstSourceFd and close-on-exec; the
  // host's ends go to libuv once the child exists.
  BH_ASSIGN_OR_RETURN(HandlePair channel, CreateStreamPair());
  BH_ASSIGN_OR_RETURN(ScopedHandle helper_channel,
                      HighCopy(channel.second.get()));
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return LastPosixErrorToStatus("open /dev/null");
  ScopedHandle dev_null(null_fd);
  BH_ASSIGN_OR_RETURN(ScopedHandle helper_stdin, HighCopy(dev_null.get()));
  PipeEnds out, err, crash;
  ScopedHandle helper_out, helper_err, helper_crash;
  if (stdio.stdout_pipe != nullptr) {
    BH_ASSIGN_OR_RETURN(out, MakePipe(O_CLOEXEC));
    BH_ASSIGN_OR_RETURN(helper_out, HighCopy(out.write.get()));
  }
  if (stdio.stderr_pipe != nullptr) {
    BH_ASSIGN_OR_RETURN(err, MakePipe(O_CLOEXEC));
    BH_ASSIGN_OR_RETURN(helper_err, HighCopy(err.write.get()));
  }
  if (with_crash_pipe) {
    BH_ASSIGN_OR_RETURN(crash, MakePipe(O_CLOEXEC));
    BH_ASSIGN_OR_RETURN(helper_crash, HighCopy(crash.write.get()));
  }
  ScopedHandle helper_handles;
  if (with_handles) {
    BH_ASSIGN_OR_RETURN(helper_handles, HighCopy(stdio.handle_socket));
  }
  BH_ASSIGN_OR_RETURN(PipeEnds go, MakePipe(O_CLOEXEC));
  BH_ASSIGN_OR_RETURN(PipeEnds exec_error, MakePipe(O_CLOEXEC));
  BH_ASSIGN_OR_RETURN(ScopedHandle helper_go, HighCopy(go.read.get()));
  BH_ASSIGN_OR_RETURN(ScopedHandle helper_error,
                      HighCopy(exec_error.write.get()));

  BH_ASSIGN_OR_RETURN(PipeEnds status, MakePipe(O_CLOEXEC | O_NONBLOCK));
  BH_ASSIGN_OR_RETURN(ScopedHandle init_status, HighCopy(status.write.get()));

  SandboxChildPlan plan;
  plan.executable = executable.c_str();
  plan.argv = argv.data();
  std::vector<std::string> environment = SandboxedEnvironment();
  std::vector<char*> envp;
  for (std::string& variable : environment) envp.push_back(variable.data());
  envp.push_back(nullptr);
  plan.envp = envp.data();
  plan.status_fd = init_status.get();
  plan.fds[0] = helper_stdin.get();
  plan.fds[1] = helper_out.is_valid() ? helper_out.get() : STDOUT_FILENO;
  plan.fds[2] = helper_err.is_valid() ? helper_err.get() : STDERR_FILENO;
  plan.fds[kHelperChannelFd] = helper_channel.get();
  plan.fds[kHelperCrashFd] = helper_crash.is_valid() ? helper_crash.get() : -1;
  plan.fds[kHelperHandleFd] = helper_handles.get();
  plan.go_fd = helper_go.get();
  plan.error_fd = helper_error.get();

  // The cgroup first: a required one that cannot be made fails the launch
  // before anything runs.
  std::unique_ptr<HelperCgroup> cgroup;
  std::string cgroup_note;
  const sandbox::SandboxPolicy& policy = options.sandbox_policy;
  if (policy.enabled(Layer::kCgroup)) {
    const uint64_t memory = policy.limits.cgroup_memory_bytes != 0
                                ? policy.limits.cgroup_memory_bytes
                                : options.memory_limit_bytes;
    absl::StatusOr<std::unique_ptr<HelperCgroup>> made = HelperCgroup::Create(
        absl::StrCat(options.helper_id), memory, policy.limits.cgroup_pids);
    if (made.ok()) {
      cgroup = *std::move(made);
    } else if (policy.requirement(Layer::kCgroup) == Requirement::kRequired) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sandbox layer cgroup (required) failed: ", made.status().message()));
    } else {
      cgroup_note = std::string(made.status().message());
    }
  }
  HelperCgroup* const child_cgroup = cgroup.get();

  uint64_t flags = NamespaceFlags(options.sandbox_policy);
  int raw_pidfd = -1;
  pid_t pid = CloneWithPidfd(flags, &raw_pidfd);
  if (pid == 0) RunSandboxChild(plan);
  if (pid < 0 && (flags & CLONE_NEWUSER) != 0 &&
      options.sandbox_policy.requirement(Layer::kUserNamespace) ==
          Requirement::kBestEffort) {
    // Without a user namespace the others need privilege (e.g. root).
    BH_LOG(kWarning, "no user namespace (", std::strerror(errno),
           "); launching ", options.role, " without one");
    flags &= ~static_cast<uint64_t>(CLONE_NEWUSER);
    pid = CloneWithPidfd(flags, &raw_pidfd);
    if (pid == 0) RunSandboxChild(plan);
  }
  if (pid < 0) return NamespaceError(errno, flags);
  ScopedHandle pidfd(raw_pidfd);
  auto child = std::make_unique<NamespacedChildProcess>(
      loop, pid, std::move(pidfd), std::move(status.read), std::move(cgroup),
      std::move(cgroup_note), std::move(on_exit));
  // From here a failure returns, and `child`'s destructor kills and reaps it.
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

  if ((flags & CLONE_NEWUSER) != 0) {
    // The helper is root in its namespace, mapped to the host's own ids: no
    // privilege is needed to write these maps.
    BH_RETURN_IF_ERROR(
        WriteKernelFile(absl::StrCat("/proc/", pid, "/uid_map"),
                        absl::StrCat("0 ", ::geteuid(), " 1\n")));
    BH_RETURN_IF_ERROR(
        WriteKernelFile(absl::StrCat("/proc/", pid, "/setgroups"), "deny\n"));
    BH_RETURN_IF_ERROR(
        WriteKernelFile(absl::StrCat("/proc/", pid, "/gid_map"),
                        absl::StrCat("0 ", ::getegid(), " 1\n")));
  }
  if (child_cgroup != nullptr) {
    // Before it may go on: everything it starts is born inside.
    BH_RETURN_IF_ERROR(child_cgroup->AddProcess(pid));
  }
  const char one = 1;
  if (::write(go.write.get(), &one, 1) != 1) {
    return LastPosixErrorToStatus("write to the helper's start pipe");
  }
  go.write.reset();
  // Blocks for the exec only (the close-on-exec end closes then), as
  // uv_spawn does.
  int exec_errno = 0;
  ssize_t n;
  while ((n = ::read(exec_error.read.get(), &exec_errno, sizeof(exec_errno))) <
             0 &&
         errno == EINTR) {
  }
  if (n > 0) {
    return PosixErrorToStatus(exec_errno,
                              absl::StrCat("start ", executable, " sandboxed"));
  }
  BH_RETURN_IF_ERROR(
      OpenInLibuv(stdio.channel, std::move(channel.first), "channel"));
  if (stdio.stdout_pipe != nullptr) {
    BH_RETURN_IF_ERROR(
        OpenInLibuv(stdio.stdout_pipe, std::move(out.read), "stdout"));
  }
  if (stdio.stderr_pipe != nullptr) {
    BH_RETURN_IF_ERROR(
        OpenInLibuv(stdio.stderr_pipe, std::move(err.read), "stderr"));
  }
  if (with_crash_pipe) {
    BH_RETURN_IF_ERROR(
        OpenInLibuv(stdio.crash_pipe, std::move(crash.read), "crash pipe"));
  }
  BH_RETURN_IF_ERROR(child->Watch());
  return child;
}

}  // namespace bulkhead
