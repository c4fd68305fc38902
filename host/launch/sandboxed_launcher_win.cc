// Chrome's launch on Windows: the helper is created suspended with a
// restricted, low-integrity token at its role's level (CreateProcessAsUserW,
// sandbox/windows_confinement.h) on the host's alternate desktop, inheriting
// exactly the handles in its PROC_THREAD_ATTRIBUTE_HANDLE_LIST; a
// lockdown-level helper's first thread gets a limited start-up token; it is
// put in a job of its own (kill on close, limits), then resumed. Its exit is
// watched by the thread pool (RegisterWaitForSingleObject), which wakes the
// loop with a uv_async_t.
//
// uv.h first: it includes winsock2.h, which must precede windows.h.
#include <uv.h>
// clang-format off
#include <windows.h>
#include <io.h>
// clang-format on

#include <algorithm>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "common/os_error.h"
#include "common/platform_handle.h"
#include "common/status_macros.h"
#include "common/switches.h"
#include "host/launch/helper_environment.h"
#include "host/launch/launch_support_win.h"
#include "host/launch/sandboxed_launcher.h"
#include "ipc/uv_handle.h"
#include "ipc/uv_status.h"
#include "sandbox/windows_confinement.h"
#include "sandbox/windows_sandbox.h"

namespace bulkhead {
namespace {

// ---- The child

// A helper in its job. Thread: the loop thread, but for the wait callback,
// which runs on the thread pool and only touches the uv_async_t.
class SandboxedChildProcess final : public ChildProcess {
 public:
  SandboxedChildProcess(uv_loop_t* loop, ScopedHandle process, DWORD pid,
                        ScopedHandle job, ExitCallback on_exit)
      : loop_(loop),
        on_exit_(std::move(on_exit)),
        process_(std::move(process)),
        job_(std::move(job)),
        pid_(pid) {}

  // A helper still running is terminated and waited for; the callback never
  // runs. Closing the job afterwards would kill it anyway (kill on close).
  ~SandboxedChildProcess() override {
    if (!reaped_) {
      ::TerminateProcess(process_.get(), 1);
      ::WaitForSingleObject(process_.get(), INFINITE);
    }
    // Waits for a callback in flight: after this none can touch `async_`.
    if (wait_ != nullptr) ::UnregisterWaitEx(wait_, INVALID_HANDLE_VALUE);
    async_.Close();
  }

  // Starts watching for the process to end (before it is resumed).
  absl::Status Watch() {
    BH_ASSIGN_OR_RETURN(async_,
                        ipc::UvHandle<uv_async_t>::Init(loop_, OnAsync));
    async_->data = this;
    // The callback gets the uv_async_t, not `this`: the destructor unregisters
    // the wait before the async is closed, so the pointer stays valid.
    if (!::RegisterWaitForSingleObject(&wait_, process_.get(), OnProcessEnded,
                                       async_.get(), INFINITE,
                                       WT_EXECUTEONLYONCE)) {
      wait_ = nullptr;
      return LastWinErrorToStatus("RegisterWaitForSingleObject");
    }
    return absl::OkStatus();
  }

  int64_t pid() const override { return pid_; }

  // SIGTERM, SIGKILL and SIGINT terminate (exit code 1), and the exit callback
  // then reports the signal, as uv_process_kill does; 0 checks nothing.
  absl::Status Signal(int signal) override {
    if (reaped_) return absl::FailedPreconditionError("the process has ended");
    if (signal == 0) return absl::OkStatus();
    if (signal != SIGTERM && signal != SIGKILL && signal != SIGINT) {
      return absl::UnimplementedError(
          absl::StrCat("signal ", signal, " has no Windows equivalent"));
    }
    if (::TerminateProcess(process_.get(), 1)) {
      term_signal_ = signal;
      return absl::OkStatus();
    }
    const DWORD error = ::GetLastError();
    // A process that already ended refuses termination; its exit is on the
    // way.
    if (::WaitForSingleObject(process_.get(), 0) == WAIT_OBJECT_0) {
      return absl::OkStatus();
    }
    return WinErrorToStatus(error, "TerminateProcess");
  }

 private:
  // Thread pool.
  static void CALLBACK OnProcessEnded(void* async, BOOLEAN /*timed_out*/) {
    uv_async_send(static_cast<uv_async_t*>(async));
  }

  // Loop thread.
  static void OnAsync(uv_async_t* async) {
    auto* self = static_cast<SandboxedChildProcess*>(async->data);
    if (self == nullptr || self->reaped_) return;
    if (::WaitForSingleObject(self->process_.get(), 0) != WAIT_OBJECT_0) return;
    DWORD exit_code = 0;
    if (!::GetExitCodeProcess(self->process_.get(), &exit_code)) {
      BH_LOG(kWarning, "GetExitCodeProcess for pid ", self->pid_,
             " failed: Windows error ", ::GetLastError());
    }
    self->reaped_ = true;
    // Like an exited uv_process_t, the async no longer keeps the loop alive.
    uv_unref(reinterpret_cast<uv_handle_t*>(async));
    ExitCallback on_exit = std::move(self->on_exit_);
    if (on_exit) on_exit(exit_code, self->term_signal_);  // May destroy self.
  }

  uv_loop_t* const loop_;  // Not owned.
  // From Watch() on.
  ipc::UvHandle<uv_async_t> async_;
  ExitCallback on_exit_;
  const ScopedHandle process_;
  const ScopedHandle job_;
  const DWORD pid_;
  // The wait registration: not a kernel handle (UnregisterWaitEx releases
  // it), hence not a ScopedHandle.
  HANDLE wait_ = nullptr;
  int term_signal_ = 0;
  bool reaped_ = false;
};

// The helper's argv with its channel given as a HANDLE value instead of fd 3.
absl::StatusOr<std::string> SandboxedCommandLine(const std::string& executable,
                                                 const LaunchOptions& options,
                                                 bool with_crash_pipe,
                                                 bool handles_brokered,
                                                 HANDLE channel) {
  std::vector<std::string> args = HelperCommandLine(
      executable, options, with_crash_pipe ? kHelperCrashFd : -1,
      /*handle_fd=*/-1, handles_brokered);
  const std::string fd_switch =
      absl::StrCat("--", switches::kIpcFd, "=", kHelperChannelFd);
  // Only among bulkhead's own switches, never in `extra_args`.
  const auto own_end = args.begin() + std::min<size_t>(args.size(), 4);
  const auto it = std::find(args.begin(), own_end, fd_switch);
  if (it == own_end) {
    return absl::InternalError(
        absl::StrCat("HelperCommandLine has no ", fd_switch));
  }
  *it = absl::StrCat("--", switches::kIpcHandle, "=",
                     reinterpret_cast<uintptr_t>(channel));
  return JoinWindowsCommandLine(args);
}

// The host process's alternate desktop, made at its first sandboxed launch
// and kept for the life of the process (the system closes it at exit; a
// helper still on it keeps it alive). Null while it cannot be made (tried
// again at the next launch; one warning): helpers then start on the host's
// desktop, and their sandbox probe says so and that they are not sandboxed.
const sandbox::AlternateDesktop* HostAlternateDesktop() {
  ABSL_CONST_INIT static absl::Mutex mutex(absl::kConstInit);
  static const sandbox::AlternateDesktop* desktop = nullptr;
  static bool warned = false;
  absl::MutexLock lock(&mutex);
  if (desktop != nullptr) return desktop;
  absl::StatusOr<std::unique_ptr<sandbox::AlternateDesktop>> made =
      sandbox::AlternateDesktop::Create();
  if (made.ok()) {
    desktop = made->release();
  } else if (!warned) {
    warned = true;
    BH_LOG(kWarning, "sandboxed helpers start on the host's desktop: ",
           made.status().message());
  }
  return desktop;
}

// The security every sandboxed helper's process and thread objects get,
// made once: it derives from the host's own token (its user and integrity),
// which does not change. Made again on the next launch after a failure,
// which fails that launch: a helper without it could be opened by another.
absl::StatusOr<HelperObjectSecurity*> HostHelperObjectSecurity() {
  ABSL_CONST_INIT static absl::Mutex mutex(absl::kConstInit);
  static HelperObjectSecurity* security = nullptr;
  absl::MutexLock lock(&mutex);
  if (security != nullptr) return security;
  BH_ASSIGN_OR_RETURN(std::unique_ptr<HelperObjectSecurity> made,
                      HelperObjectSecurity::Create());
  security = made.release();
  return security;
}

bool MitigationsRefused(DWORD error) {
  return error == ERROR_INVALID_PARAMETER || error == ERROR_NOT_SUPPORTED ||
         error == ERROR_BAD_LENGTH;
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
  const sandbox::WindowsConfinement confinement =
      sandbox::WindowsConfinementFor(options.sandbox_policy,
                                     options.memory_limit_bytes);
  BH_ASSIGN_OR_RETURN(ScopedHandle token,
                      sandbox::CreateRestrictedHelperToken(confinement.token));
  // A lockdown token cannot load the helper's DLLs: its first thread starts
  // on a limited one, which it drops in its lockdown (lockdown_win.cc).
  ScopedHandle startup_token;
  if (confinement.token == sandbox::WindowsTokenLevel::kLockdown) {
    BH_ASSIGN_OR_RETURN(ScopedHandle limited,
                        sandbox::CreateRestrictedHelperToken(
                            sandbox::WindowsTokenLevel::kLimited));
    BH_ASSIGN_OR_RETURN(startup_token,
                        sandbox::CreateImpersonationToken(limited.get()));
  }
  BH_ASSIGN_OR_RETURN(ScopedHandle job,
                      sandbox::CreateHelperJob(
                          {.memory_limit_bytes = confinement.memory_limit_bytes,
                           .active_processes = confinement.active_processes}));

  // The helper's handles, inheritable, and the host's ends, not.
  BH_ASSIGN_OR_RETURN(HandlePair channel, CreateStreamPair());
  ScopedHandle& helper_channel = channel.second;
  BH_RETURN_IF_ERROR(MakeInheritable(helper_channel, "channel"));
  BH_ASSIGN_OR_RETURN(ScopedHandle helper_stdin, OpenNul(GENERIC_READ));
  PipeEnds stdout_ends;
  if (stdio.stdout_pipe != nullptr) {
    BH_ASSIGN_OR_RETURN(stdout_ends, CreateOutputPipe("stdout"));
  } else {
    BH_ASSIGN_OR_RETURN(stdout_ends.write,
                        InheritableStdHandle(STD_OUTPUT_HANDLE));
  }
  PipeEnds stderr_ends;
  if (stdio.stderr_pipe != nullptr) {
    BH_ASSIGN_OR_RETURN(stderr_ends, CreateOutputPipe("stderr"));
  } else {
    BH_ASSIGN_OR_RETURN(stderr_ends.write,
                        InheritableStdHandle(STD_ERROR_HANDLE));
  }
  const bool with_crash_pipe = stdio.crash_pipe != nullptr;
  PipeEnds crash_ends;
  if (with_crash_pipe) {
    BH_ASSIGN_OR_RETURN(crash_ends, CreateOutputPipe("crash pipe"));
  }

  BH_ASSIGN_OR_RETURN(
      const std::string command_line,
      SandboxedCommandLine(executable, options, with_crash_pipe,
                           stdio.handles_brokered, helper_channel.get()));
  BH_ASSIGN_OR_RETURN(const std::wstring application, Utf8ToWide(executable));
  BH_ASSIGN_OR_RETURN(std::wstring wide_command_line, Utf8ToWide(command_line));
  BH_ASSIGN_OR_RETURN(std::wstring environment,
                      EnvironmentBlock(HelperEnvironment(options.environment,
                                                         /*sandboxed=*/true)));

  // Exactly these handles reach the helper, whatever else is inheritable in
  // the host at this moment.
  std::vector<HANDLE> inherited = {helper_channel.get(), helper_stdin.get(),
                                   stdout_ends.write.get(),
                                   stderr_ends.write.get()};
  STARTUPINFOEXW startup = {};
  startup.StartupInfo.cb = sizeof(startup);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = helper_stdin.get();
  startup.StartupInfo.hStdOutput = stdout_ends.write.get();
  startup.StartupInfo.hStdError = stderr_ends.write.get();
  // The crash pipe is C runtime fd 4, which the helper adopts like a uv_spawn
  // stdio slot (`--crash-fd=4`).
  CrtFdTable crt_fds(kHelperCrashFd + 1);
  if (with_crash_pipe) {
    inherited.push_back(crash_ends.write.get());
    crt_fds.Set(0, helper_stdin.get());
    crt_fds.Set(1, stdout_ends.write.get());
    crt_fds.Set(2, stderr_ends.write.get());
    crt_fds.Set(kHelperCrashFd, crash_ends.write.get());
    crt_fds.AttachTo(startup.StartupInfo);
  }

  // No other helper may open this one's process or thread.
  BH_ASSIGN_OR_RETURN(HelperObjectSecurity * object_security,
                      HostHelperObjectSecurity());

  std::wstring desktop_path;
  if (const sandbox::AlternateDesktop* desktop =
          confinement.alternate_desktop ? HostAlternateDesktop() : nullptr;
      desktop != nullptr) {
    desktop_path = desktop->path();
    startup.StartupInfo.lpDesktop = desktop_path.data();
  }

  // Mitigations are best effort: a system that does not know one of them
  // refuses the whole attribute. Then the base set is tried (the strict
  // set's additions are the newer ones), then none.
  std::vector<uint64_t> mitigation_sets = {
      sandbox::HelperMitigationPolicy(confinement.strict_mitigations)};
  if (confinement.strict_mitigations) {
    mitigation_sets.push_back(sandbox::HelperMitigationPolicy(false));
  }
  mitigation_sets.push_back(0);
  PROCESS_INFORMATION created = {};
  DWORD error = ERROR_SUCCESS;
  for (uint64_t mitigations : mitigation_sets) {
    const bool with_mitigations = mitigations != 0;
    AttributeList attributes;
    BH_RETURN_IF_ERROR(attributes.Init(with_mitigations ? 2 : 1));
    BH_RETURN_IF_ERROR(
        attributes.Update(PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited.data(),
                          inherited.size() * sizeof(HANDLE), "handle list"));
    if (with_mitigations) {
      if (absl::Status set = attributes.Update(
              PROC_THREAD_ATTRIBUTE_MITIGATION_POLICY, &mitigations,
              sizeof(mitigations), "mitigation policy");
          !set.ok()) {
        BH_LOG(kWarning,
               "launching without mitigation policies: ", set.message());
        continue;
      }
    }
    startup.lpAttributeList = attributes.get();
    // CreateProcessAsUserW needs no privilege for a restricted version of the
    // caller's own token. DETACHED_PROCESS, as Chrome launches its targets:
    // no console, so no conhost.exe, which would count against the job's one
    // process, and which Wine starts from inside the helper, where it
    // inherits the channel's end and keeps it open.
    // Wine fails it now and then with ERROR_INTERNAL_ERROR and succeeds when
    // asked again (seen in the suite, Windows error 1359): up to 3 tries.
    bool started = false;
    for (int attempt = 0; attempt < 3 && !started; ++attempt) {
      started =
          ::CreateProcessAsUserW(
              token.get(), application.c_str(), wide_command_line.data(),
              object_security->attributes(), object_security->attributes(),
              /*bInheritHandles=*/TRUE,
              CREATE_SUSPENDED | EXTENDED_STARTUPINFO_PRESENT |
                  DETACHED_PROCESS | CREATE_UNICODE_ENVIRONMENT,
              environment.data(), nullptr, &startup.StartupInfo, &created) != 0;
      error = started ? ERROR_SUCCESS : ::GetLastError();
      if (error != ERROR_INTERNAL_ERROR) break;
      BH_LOG(kWarning, "CreateProcessAsUserW ", executable,
             ": internal error (Windows error 1359), trying again");
    }
    if (started) break;
    if (!with_mitigations || !MitigationsRefused(error)) break;
    BH_LOG(kWarning, "CreateProcessAsUserW refused the mitigation policies 0x",
           absl::Hex(mitigations), " (Windows error ", error,
           "); trying fewer");
  }
  if (error != ERROR_SUCCESS) {
    return WinErrorToStatus(error,
                            absl::StrCat("CreateProcessAsUserW ", executable));
  }
  ScopedHandle process(created.hProcess);
  ScopedHandle thread(created.hThread);
  // The helper has its copies; the host's must go, or the host never sees
  // end-of-stream on the channel and pipes.
  helper_channel.reset();
  helper_stdin.reset();
  stdout_ends.write.reset();
  stderr_ends.write.reset();
  crash_ends.write.reset();

  if (!::AssignProcessToJobObject(job.get(), process.get())) {
    absl::Status status = LastWinErrorToStatus("AssignProcessToJobObject");
    ::TerminateProcess(process.get(), 1);
    return status;
  }
  if (startup_token.is_valid()) {
    HANDLE first_thread = thread.get();
    if (!::SetThreadToken(&first_thread, startup_token.get())) {
      absl::Status status = LastWinErrorToStatus("SetThreadToken");
      ::TerminateProcess(process.get(), 1);
      return status;
    }
  }
  auto child = std::make_unique<SandboxedChildProcess>(
      loop, std::move(process), created.dwProcessId, std::move(job),
      std::move(on_exit));
  // From here a failure returns, and `child`'s destructor terminates the
  // still suspended helper.
  BH_RETURN_IF_ERROR(
      OpenInLibuv(stdio.channel, std::move(channel.first), "channel"));
  if (stdio.stdout_pipe != nullptr) {
    BH_RETURN_IF_ERROR(
        OpenInLibuv(stdio.stdout_pipe, std::move(stdout_ends.read), "stdout"));
  }
  if (stdio.stderr_pipe != nullptr) {
    BH_RETURN_IF_ERROR(
        OpenInLibuv(stdio.stderr_pipe, std::move(stderr_ends.read), "stderr"));
  }
  if (with_crash_pipe) {
    BH_RETURN_IF_ERROR(OpenInLibuv(stdio.crash_pipe, std::move(crash_ends.read),
                                   "crash pipe"));
  }
  BH_RETURN_IF_ERROR(child->Watch());
  if (::ResumeThread(thread.get()) == static_cast<DWORD>(-1)) {
    return LastWinErrorToStatus("ResumeThread");
  }
  return child;
}

absl::StatusOr<SpawnStart> StartSandboxedSpawn(
    uv_loop_t* loop, const LaunchOptions& options, const ChildStdio& stdio,
    ChildProcess::ExitCallback on_exit, SpawnedCallback,
    std::shared_ptr<SandboxZygotes>) {
  return SpawnedAtOnce(
      SpawnSandboxedHelper(loop, options, stdio, std::move(on_exit)));
}

}  // namespace bulkhead
