// The escape-attempt suite on Linux: `RunEscapeAttempts` and the attempts on
// other processes. The attempts, in the order reported:
//   files: open-etc-passwd, list-home-dir, create-file-cwd, create-file-tmp,
//     list-root, open-dev-kmsg, open-host-mem, read-host-environ,
//     list-host-root, open-sibling-channel;
//   environment (last): read-environment-canary;
//   network: socket-inet, connect-tcp-localhost, socket-inet6, socket-netlink,
//     socket-packet, connect-unix-socket, connect-abstract-socket;
//   processes: ptrace-host, ptrace-sibling, ptrace-traceme, kill-host,
//     kill-sibling, process-vm-readv-host, steal-sibling-channel, fork,
//     execve-shell, execve-probe, execveat-probe;
//   privileges: mount-tmpfs, unshare-user, unshare-mount, unshare-net,
//     setns-net, chroot-again, setuid-0, setgid-0, personality,
//     raise-rlimit-nofile, raise-rlimit-as;
//   kernel interfaces: init-module, finit-module, bpf-map-create,
//     perf-event-open, io-uring-setup, userfaultfd, keyctl, add-key,
//     seccomp-set-filter, prctl-set-seccomp;
//   left before the lockdown (escape_bait_linux.cc): prelockdown-fd-* and
//     prelockdown-thread-*.
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "helper/diagnostics/escape_attempts.h"
#include "helper/diagnostics/escape_probe_linux.h"

namespace bulkhead {
namespace escape_internal {
namespace {

// The exit code of the shell execve-shell runs: proof that it ran.
constexpr int kShellExitCode = 42;

// A positive pid that fits pid_t, or 0.
pid_t ValidPid(int64_t pid) {
  return pid > 0 && pid <= INT32_MAX ? static_cast<pid_t>(pid) : 0;
}

// PTRACE_SEIZE makes the same access check as PTRACE_ATTACH but does not stop
// the tracee; the tracer's exit detaches it. The in-process fallback stops it
// itself, so that it can detach.
EscapeAttempt PtraceAttempt(std::string name, pid_t pid) {
  const IsolatedResult isolated = RunIsolated(
      [pid] { return ::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr); },
      [pid] {
        if (::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) == -1) return -1L;
        if (::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) == 0) {
          int status = 0;
          ::waitpid(pid, &status, __WALL);
        }
        ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
        return 0L;
      });
  return FromIsolated(std::move(name), isolated,
                      absl::StrCat("seized pid ", pid, " (and released it)"));
}

EscapeAttempt TracemeAttempt() {
  // Without a child, TRACEME would make our parent our tracer: probe instead.
  // An unknown request on pid 0 fails with ESRCH past the filter.
  const IsolatedResult isolated =
      RunIsolated([] { return ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr); },
                  [] { return ::syscall(SYS_ptrace, -1L, 0L, 0L, 0L); });
  return FromIsolated("ptrace-traceme", isolated,
                      "a child is traced by its parent",
                      "ptrace is reachable: an unknown request got past the "
                      "filter");
}

EscapeAttempt KillAttempt(std::string name, pid_t pid) {
  // SIGCONT: harmless when it gets through.
  const SyscallResult result =
      Try([pid] { return long{::kill(pid, SIGCONT)}; });
  return Plain(std::move(name), result,
               absl::StrCat("sent SIGCONT to pid ", pid));
}

EscapeAttempt ProcessVmReadvAttempt(pid_t pid) {
  // Address 0 is never mapped: EFAULT means the access check passed.
  char byte = 0;
  iovec local = {&byte, 1};
  iovec remote = {nullptr, 1};
  const SyscallResult result = Try(
      [&] { return long{::process_vm_readv(pid, &local, 1, &remote, 1, 0)}; });
  if (result.trapped == -1 && (result.value != -1 || result.error == EFAULT)) {
    return {"process-vm-readv-host", false,
            "SUCCEEDED: access to the host's memory granted (EFAULT at "
            "address 0)"};
  }
  return {"process-vm-readv-host", true, FailureText(result)};
}

// Takes a copy of the sibling's channel fd with pidfd_getfd; `path` is
// "/proc/<pid>/fd/<n>".
EscapeAttempt StealChannelAttempt(const std::string& path) {
  const char* name = "steal-sibling-channel";
  const std::vector<std::string> parts = absl::StrSplit(path, '/');
  int pid = 0;
  int fd = -1;
  if (parts.size() != 5 || !parts[0].empty() || parts[1] != "proc" ||
      parts[3] != "fd" || !absl::SimpleAtoi(parts[2], &pid) ||
      !absl::SimpleAtoi(parts[4], &fd) || pid <= 0 || fd < 0) {
    return Skipped(name, "sibling_channel_path is not /proc/<pid>/fd/<n>");
  }
  const SyscallResult result = Try([&] {
    const long pidfd = ::syscall(SYS_pidfd_open, pid, 0);
    if (pidfd == -1) return -1L;
    const long stolen = ::syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    const int error = errno;
    if (stolen != -1) ::close(static_cast<int>(stolen));
    ::close(static_cast<int>(pidfd));
    errno = error;
    return stolen;
  });
  return Plain(name, result,
               absl::StrCat("copied fd ", fd, " of pid ", pid,
                            " (and closed the copy)"));
}

EscapeAttempt ForkAttempt() {
  const SyscallResult result = Try([] { return long{::fork()}; });
  if (result.value == 0) ::_exit(0);
  if (result.value > 0) {
    int status = 0;
    while (::waitpid(static_cast<pid_t>(result.value), &status, 0) == -1 &&
           errno == EINTR) {
    }
  }
  return Plain("fork", result, "a child was created (and reaped)");
}

EscapeAttempt ExecveShellAttempt() {
  static constexpr char kShell[] = "/bin/sh";
  const std::string script = absl::StrCat("exit ", kShellExitCode);
  const char* const argv[] = {kShell, "-c", script.c_str(), nullptr};
  const char* const envp[] = {nullptr};
  const IsolatedResult isolated = RunIsolated(
      [&] {
        return long{::execve(kShell, const_cast<char* const*>(argv),
                             const_cast<char* const*>(envp))};
      },
      [] { return 0L; });
  if (!isolated.note.empty() && !isolated.no_report) {
    // Without a child, exec'ing would replace this process: execve-probe
    // tells whether execve itself is reachable.
    return {"execve-shell", true, absl::StrCat("not reached: ", isolated.note)};
  }
  const int status = isolated.wait_status;
  if (isolated.no_report && status != -1 && WIFEXITED(status) &&
      WEXITSTATUS(status) == kShellExitCode) {
    return {"execve-shell", false,
            absl::StrCat("SUCCEEDED: /bin/sh ran in a child (exit ",
                         kShellExitCode, ")")};
  }
  return FromIsolated("execve-shell", isolated, "execve returned");
}

}  // namespace

void AppendProcessAttempts(const EscapeTargets& targets,
                           std::vector<EscapeAttempt>& out) {
  const pid_t host = ValidPid(targets.host_pid);
  const pid_t sibling = ValidPid(targets.sibling_pid);
  out.push_back(host != 0 ? PtraceAttempt("ptrace-host", host)
                          : Skipped("ptrace-host", "no host_pid"));
  out.push_back(sibling != 0 ? PtraceAttempt("ptrace-sibling", sibling)
                             : Skipped("ptrace-sibling", "no sibling_pid"));
  out.push_back(TracemeAttempt());
  out.push_back(host != 0 ? KillAttempt("kill-host", host)
                          : Skipped("kill-host", "no host_pid"));
  out.push_back(sibling != 0 ? KillAttempt("kill-sibling", sibling)
                             : Skipped("kill-sibling", "no sibling_pid"));
  out.push_back(host != 0 ? ProcessVmReadvAttempt(host)
                          : Skipped("process-vm-readv-host", "no host_pid"));
  out.push_back(
      targets.sibling_channel_path.empty()
          ? Skipped("steal-sibling-channel", "no sibling_channel_path")
          : StealChannelAttempt(targets.sibling_channel_path));
  out.push_back(ForkAttempt());
  out.push_back(ExecveShellAttempt());
  // A NULL filename fails with EFAULT once execve runs: never replaces us.
  SyscallResult result =
      Try([] { return ::syscall(SYS_execve, nullptr, nullptr, nullptr); });
  out.push_back(Probe("execve-probe", result, "execve returned",
                      "execve is reachable: a NULL filename got past the "
                      "filter"));
  result = Try([] {
    return ::syscall(SYS_execveat, AT_FDCWD, nullptr, nullptr, nullptr, 0);
  });
  out.push_back(Probe("execveat-probe", result, "execveat returned",
                      "execveat is reachable: a NULL filename got past the "
                      "filter"));
}

}  // namespace escape_internal

std::vector<EscapeAttempt> RunEscapeAttempts(const EscapeTargets& targets,
                                             const EscapeBait* bait) {
  using namespace escape_internal;  // NOLINT(build/namespaces)
  const ScopedSigsysTrap trap;
  std::vector<EscapeAttempt> out;
  AppendFilesystemAttempts(targets, out);
  if (!targets.view_ro_dir.empty()) AppendViewAttempts(targets, out);
  AppendNetworkAttempts(targets, out);
  AppendProcessAttempts(targets, out);
  AppendPrivilegeAttempts(targets, out);
  AppendKernelAttempts(out);
  AppendBaitAttempts(targets, bait, out);
  out.push_back(EnvironmentCanaryAttempt(targets.environment_canary));
  return out;
}

}  // namespace bulkhead
