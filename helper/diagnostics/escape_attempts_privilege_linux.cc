// The escape attempts on privileges (run in a forked child where success
// would change this process) and on kernel interfaces.
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "helper/diagnostics/escape_attempts.h"
#include "helper/diagnostics/escape_probe_linux.h"

namespace bulkhead::escape_internal {
namespace {

// Mounts a tmpfs on `dir` (made here), or on "/" when `dir` cannot be made
// (the sandbox's empty root, in its own mount namespace), and unmounts it at
// once. Never on a directory other processes use.
long MountTmpfs(const char* dir) {
  const bool made = ::mkdir(dir, 0700) == 0;
  const char* target = made ? dir : "/";
  const long rc = ::mount("bulkhead-escape", target, "tmpfs",
                          MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k");
  const int error = errno;
  if (rc == 0) ::umount2(target, MNT_DETACH);
  if (made) ::rmdir(dir);
  errno = error;
  return rc;
}

EscapeAttempt UnshareAttempt(std::string name, int flag) {
  const auto op = [flag] { return long{::unshare(flag)}; };
  const IsolatedResult isolated = RunIsolated(op, op);
  // A user namespace limit of 0 (bwrap's --disable-userns) says no too.
  if (flag == CLONE_NEWUSER && !isolated.no_report &&
      isolated.result.trapped == -1 && isolated.result.error == ENOSPC) {
    return {std::move(name), true, "ENOSPC: the user namespace limit is 0"};
  }
  return FromIsolated(std::move(name), isolated, "unshared",
                      "unshare is reachable: not a denial");
}

// Joins the first network namespace in `paths` that opens, or calls setns on
// fd -1 (EBADF past the filter). Returns the index joined.
EscapeAttempt SetnsAttempt(int64_t host_pid) {
  const std::string paths[] = {
      host_pid > 0 ? absl::StrCat("/proc/", host_pid, "/ns/net") : "",
      "/proc/self/ns/net"};
  const auto op = [&paths] {
    int fd = -1;
    long index = 0;
    for (; index < 2 && fd == -1; ++index) {
      if (!paths[index].empty()) fd = ::open(paths[index].c_str(), O_RDONLY);
    }
    const long rc = ::setns(fd, CLONE_NEWNET);
    const int error = errno;
    if (fd != -1) ::close(fd);
    errno = error;
    return rc == 0 ? index - 1 : -1L;
  };
  const IsolatedResult isolated = RunIsolated(op, op);
  const long joined = isolated.result.value;
  return FromIsolated(
      "setns-net", isolated,
      absl::StrCat("joined ", joined == 0 ? "the host's" : "its own",
                   " network namespace"),
      "setns is reachable: no namespace file to join");
}

EscapeAttempt IdAttempt(std::string name, long number) {
  const auto op = [number] { return ::syscall(number, 0); };
  return FromIsolated(std::move(name), RunIsolated(op, op), "now id 0");
}

// Toggles READ_IMPLIES_EXEC; 1 when the persona changed, 0 when not.
long TogglePersonality(bool restore) {
  const int old = ::personality(0xffffffff);
  if (old == -1) return -1;
  const unsigned long wanted =
      static_cast<unsigned int>(old) ^ READ_IMPLIES_EXEC;
  if (::personality(wanted) == -1) return -1;
  const int now = ::personality(0xffffffff);
  if (restore) ::personality(static_cast<unsigned int>(old));
  if (now == -1) return -1;
  return static_cast<unsigned int>(now) == wanted ? 1 : 0;
}

EscapeAttempt PersonalityAttempt() {
  const IsolatedResult isolated =
      RunIsolated([] { return TogglePersonality(false); },
                  [] { return TogglePersonality(true); });
  if (!isolated.no_report && isolated.result.value == 0) {
    return {"personality", true, "unchanged: the kernel ignored the request"};
  }
  return FromIsolated("personality", isolated,
                      "READ_IMPLIES_EXEC toggled (then undone)");
}

// In a child: lowers the hard limit by one, then raises it back, which needs
// the same privilege as raising it above the original (and never exceeds
// fs.nr_open). In-process: raises it above the original and restores it,
// or returns 2 when the hard limit is unlimited (nothing to raise).
long RaiseHardLimit(int resource, bool in_process) {
  rlimit old = {};
  if (::getrlimit(resource, &old) == -1) return -1;
  if (in_process) {
    if (old.rlim_max == RLIM_INFINITY) return 2;
    rlimit raised = old;
    ++raised.rlim_max;
    if (::setrlimit(resource, &raised) == -1) return -1;
    ::setrlimit(resource, &old);
    return 0;
  }
  if (old.rlim_max == 0) {
    const rlimit raised = {0, 1};
    return ::setrlimit(resource, &raised);
  }
  rlimit lowered = {old.rlim_cur, old.rlim_max - 1};
  if (lowered.rlim_cur > lowered.rlim_max) lowered.rlim_cur = lowered.rlim_max;
  if (::setrlimit(resource, &lowered) == -1) return -1;
  return ::setrlimit(resource, &old);
}

EscapeAttempt RlimitAttempt(std::string name, int resource) {
  const IsolatedResult isolated =
      RunIsolated([resource] { return RaiseHardLimit(resource, false); },
                  [resource] { return RaiseHardLimit(resource, true); });
  if (!isolated.no_report && isolated.result.value == 2) {
    return {std::move(name), false,
            absl::StrCat("NOT LIMITED: the hard limit is unlimited; ",
                         isolated.note)};
  }
  return FromIsolated(std::move(name), isolated, "hard limit raised");
}

// Runs `op`, which returns an fd, and closes that fd.
template <typename Op>
SyscallResult TryFd(Op op) {
  return Try([&] {
    const long fd = op();
    if (fd >= 0) ::close(static_cast<int>(fd));
    return fd;
  });
}

SyscallResult TryUserfaultfd() {
  const SyscallResult result =
      TryFd([] { return ::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK); });
  // vm.unprivileged_userfaultfd = 0 still allows user-mode-only ones.
  if (result.trapped != -1 || result.error != EPERM) return result;
  return TryFd([] {
    return ::syscall(SYS_userfaultfd,
                     O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
  });
}

}  // namespace

void AppendPrivilegeAttempts(const EscapeTargets& targets,
                             std::vector<EscapeAttempt>& out) {
  const std::string dir =
      absl::StrCat("/tmp/bulkhead-escape-", ::getpid(), "-mnt");
  const auto mount_op = [&dir] { return MountTmpfs(dir.c_str()); };
  out.push_back(FromIsolated("mount-tmpfs", RunIsolated(mount_op, mount_op),
                             "mounted a tmpfs (and unmounted it)"));
  ::rmdir(dir.c_str());  // In case the child died before it could.
  out.push_back(UnshareAttempt("unshare-user", CLONE_NEWUSER));
  out.push_back(UnshareAttempt("unshare-mount", CLONE_NEWNS));
  out.push_back(UnshareAttempt("unshare-net", CLONE_NEWNET));
  out.push_back(SetnsAttempt(targets.host_pid));
  const auto chroot_op = [] { return long{::chroot("/")}; };
  out.push_back(FromIsolated("chroot-again", RunIsolated(chroot_op, chroot_op),
                             "chroot(\"/\") done"));
  // Raw syscalls: glibc's wrappers would signal every thread in-process.
  out.push_back(IdAttempt("setuid-0", SYS_setuid));
  out.push_back(IdAttempt("setgid-0", SYS_setgid));
  out.push_back(PersonalityAttempt());
  out.push_back(RlimitAttempt("raise-rlimit-nofile", RLIMIT_NOFILE));
  out.push_back(RlimitAttempt("raise-rlimit-as", RLIMIT_AS));
}

void AppendKernelAttempts(std::vector<EscapeAttempt>& out) {
  // Both module calls check CAP_SYS_MODULE before their arguments, which
  // here can load nothing: an argument error means the capability is held.
  SyscallResult result =
      Try([] { return ::syscall(SYS_init_module, nullptr, 0UL, ""); });
  out.push_back(Probe("init-module", result, "init_module returned",
                      "CAP_SYS_MODULE held: an empty image got past it"));
  result = Try([] { return ::syscall(SYS_finit_module, -1, "", 0); });
  out.push_back(Probe("finit-module", result, "finit_module returned",
                      "CAP_SYS_MODULE held: fd -1 got past it"));

  result = TryFd([] {
    bpf_attr attr = {};
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    return ::syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
  });
  out.push_back(Plain("bpf-map-create", result, "created a BPF map"));

  result = TryFd([] {
    perf_event_attr attr = {};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof(attr);
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    return ::syscall(SYS_perf_event_open, &attr, 0, -1, -1,
                     PERF_FLAG_FD_CLOEXEC);
  });
  out.push_back(Plain("perf-event-open", result, "opened a perf event"));

  result = TryFd([] {
    io_uring_params params = {};
    return ::syscall(SYS_io_uring_setup, 1, &params);
  });
  out.push_back(Plain("io-uring-setup", result, "set up an io_uring"));

  result = TryUserfaultfd();
  out.push_back(Plain("userfaultfd", result, "created a userfaultfd"));

  // The user keyring's id: ENOKEY would still mean keyctl got through.
  result = Try([] {
    return ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING,
                     0);
  });
  out.push_back(Probe("keyctl", result, "read the user keyring's id",
                      "keyctl is reachable"));

  result = Try([] {
    const long key = ::syscall(SYS_add_key, "user", "bulkhead-escape-probe",
                               "x", 1, KEY_SPEC_PROCESS_KEYRING);
    if (key != -1) ::syscall(SYS_keyctl, KEYCTL_INVALIDATE, key);
    return key;
  });
  out.push_back(Plain("add-key", result,
                      "added a key to the process keyring (and invalidated "
                      "it)"));

  // A NULL program fails with EFAULT once the kernel reads it. Adding a
  // filter could only restrict further, but a helper has no business doing it.
  result = Try([] {
    return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, nullptr);
  });
  out.push_back(Probe("seccomp-set-filter", result, "installed a filter",
                      "seccomp is reachable: a NULL program got past the "
                      "filter"));
  result = Try([] {
    return long{::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, nullptr, 0, 0)};
  });
  out.push_back(Probe("prctl-set-seccomp", result, "installed a filter",
                      "prctl(PR_SET_SECCOMP) is reachable: a NULL program got "
                      "past the filter"));
}

}  // namespace bulkhead::escape_internal
