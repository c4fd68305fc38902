#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/compiler.h"
#include "common/os_error.h"
#include "sandbox/filesystem_view_linux.h"
#include "sandbox/lockdown.h"
#include "sandbox/seccomp_program.h"
#include "sandbox/syscall_recorder_linux.h"
#include "sandbox/syscall_table.h"
#include "sandbox/thread_census_linux.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BH_ANY_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BH_ANY_SANITIZER 1
#endif
#ifndef BH_ANY_SANITIZER
#define BH_ANY_SANITIZER 0
#endif
#if BH_ANY_SANITIZER
#include <sanitizer/common_interface_defs.h>
#endif

namespace bulkhead::sandbox {
namespace {

constexpr const char* kNamespaceNames[] = {"user", "pid", "net",
                                           "mnt",  "ipc", "uts"};

std::vector<LayerOutcome>& Outcomes() {
  static auto* outcomes = new std::vector<LayerOutcome>;
  return *outcomes;
}

std::vector<FilesystemEntry>& View() {
  static auto* view = new std::vector<FilesystemEntry>;
  return *view;
}

// What `fd` is, from its /proc/self/fd link: "socket", "pipe", "eventfd",
// "memfd", "/dev/null", "directory", "file", ...
std::string DescriptorKind(int dir_fd, const char* name, int fd) {
  char target[256];
  const ssize_t n = ::readlinkat(dir_fd, name, target, sizeof(target) - 1);
  if (n <= 0) return "unknown";
  const std::string link(target, static_cast<size_t>(n));
  if (absl::StartsWith(link, "socket:")) return "socket";
  if (absl::StartsWith(link, "pipe:")) return "pipe";
  if (absl::StartsWith(link, "anon_inode:")) {
    std::string kind = link.substr(11);
    if (!kind.empty() && kind.front() == '[') kind = kind.substr(1);
    if (!kind.empty() && kind.back() == ']') kind.pop_back();
    return kind;  // eventfd, eventpoll, signalfd, ...
  }
  if (absl::StartsWith(link, "/memfd:")) return "memfd";
  if (link == "/dev/null") return "/dev/null";
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) return "directory";
  return link.front() == '/' ? "file" : link;
}

// An explicit keep-list: stdio and the descriptors the runtime named stay,
// everything else goes, whatever it is. A socket, pipe, eventfd or memfd
// that a library opened before the lockdown would otherwise stay usable
// after it; a directory, even a listed one, would lead out of the chroot.
absl::StatusOr<std::string> CloseUnlistedDescriptors(
    const std::vector<int>& keep) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return LastPosixErrorToStatus("opendir /proc/self/fd");
  const int dir_fd = ::dirfd(dir);
  std::vector<int> to_close;
  std::map<std::string, int> closed_kinds;
  int kept = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd == dir_fd) continue;
    const bool listed =
        fd <= 2 || std::find(keep.begin(), keep.end(), fd) != keep.end();
    struct stat st;
    const bool directory = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    if (listed && !directory) {
      ++kept;
      continue;
    }
    to_close.push_back(fd);
    ++closed_kinds[DescriptorKind(dir_fd, entry->d_name, fd)];
  }
  ::closedir(dir);
  for (int fd : to_close) ::close(fd);
  std::string closed;
  for (const auto& [kind, count] : closed_kinds) {
    absl::StrAppend(&closed, closed.empty() ? "" : ", ", count, " ", kind);
  }
  return absl::StrCat(kept, " kept (stdio and the runtime's), ",
                      to_close.size(), " closed", closed.empty() ? "" : ": ",
                      closed);
}

// An empty, read-only tmpfs becomes the root, holding the filesystem view
// when the policy has one (filesystem_view_linux.h). Only inside a mount
// namespace of our own: the mounts must not be visible to anyone else.
absl::StatusOr<std::string> EnterEmptyRoot(
    bool own_mount_namespace, const std::vector<FilesystemEntry>& view) {
  if (!own_mount_namespace) {
    return absl::FailedPreconditionError(
        "no private mount namespace to build an empty root in");
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return LastPosixErrorToStatus("mount --make-rprivate /");
  }
  struct stat tmp_stat;
  const char* target =
      (::stat("/tmp", &tmp_stat) == 0 && S_ISDIR(tmp_stat.st_mode)) ? "/tmp"
                                                                    : "/";
  std::string detail = "empty read-only tmpfs";
  if (!view.empty()) {
    absl::StatusOr<std::string> built =
        internal::MountRootWithView(target, view);
    if (!built.ok()) return built.status();
    detail = *std::move(built);
  } else if (::mount("bulkhead-root", target, "tmpfs",
                     MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     "size=4k,nr_inodes=2,mode=0555") != 0) {
    return LastPosixErrorToStatus(absl::StrCat("mount tmpfs on ", target));
  }
  if (::chdir(target) != 0) return LastPosixErrorToStatus("chdir");
  if (::chroot(".") != 0) return LastPosixErrorToStatus("chroot");
  if (::chdir("/") != 0) return LastPosixErrorToStatus("chdir /");
  return detail;
}

absl::StatusOr<std::string> DropCapabilities() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return LastPosixErrorToStatus("prctl(PR_CAPBSET_DROP)");
    }
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
      errno != EINVAL) {
    return LastPosixErrorToStatus("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  }
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) {
    return LastPosixErrorToStatus("capset");
  }
  return std::string("all sets empty, bounding set dropped");
}

absl::StatusOr<std::string> SetLimit(int resource, const char* name,
                                     uint64_t value) {
  // CPU: a soft limit below the hard one, so that the helper gets SIGXCPU
  // (reported as kCpuLimit) before the kernel's SIGKILL.
  rlimit limit = {
      static_cast<rlim_t>(value),
      static_cast<rlim_t>(resource == RLIMIT_CPU ? value + 1 : value)};
  rlimit current;
  if (::getrlimit(resource, &current) == 0 && current.rlim_max < value) {
    limit.rlim_cur = limit.rlim_max = current.rlim_max;  // Never raise.
  }
  if (::setrlimit(resource, &limit) != 0) {
    return LastPosixErrorToStatus(absl::StrCat("setrlimit ", name));
  }
  return absl::StrCat(name, "=", limit.rlim_max);
}

absl::StatusOr<std::string> ApplyLimits(const ResourceLimits& limits) {
  std::string detail;
  struct Item {
    int resource;
    const char* name;
    uint64_t value;
  };
  const Item items[] = {{RLIMIT_CORE, "core", 0},
                        {RLIMIT_NOFILE, "nofile", limits.open_files},
                        {RLIMIT_NPROC, "nproc", limits.processes},
                        {RLIMIT_CPU, "cpu", limits.cpu_seconds},
                        {RLIMIT_AS, "as", limits.address_space_bytes}};
  for (const Item& item : items) {
    if (item.value == 0 && item.resource != RLIMIT_CORE) continue;
    if (item.resource == RLIMIT_AS && BH_SANITIZER_RESERVES_ADDRESS_SPACE) {
      absl::StrAppend(&detail, detail.empty() ? "" : " ",
                      "as=(not in sanitizer builds)");
      continue;
    }
    absl::StatusOr<std::string> set =
        SetLimit(item.resource, item.name, item.value);
    if (!set.ok()) return set.status();
    absl::StrAppend(&detail, detail.empty() ? "" : " ", *set);
  }
  return detail;
}

// struct landlock_ruleset_attr as of ABI 6 (older kernel headers lack the
// later fields): the kernel is told how much of it the caller knows.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4.
  uint64_t scoped;              // ABI 6.
};
constexpr uint64_t kScopeAbstractUnixSocket = uint64_t{1} << 0;
constexpr uint64_t kScopeSignal = uint64_t{1} << 1;

// Handles every filesystem access the kernel's ABI knows and grants none but
// the filesystem view's (AddLandlockViewRules). From ABI 6 also scopes abstract
// unix sockets and signals to the sandbox: no connecting or sending to an
// abstract socket made outside it (the host's X server, D-Bus, ... where the
// helper shares the host's network), no signal to a process outside it.
absl::StatusOr<std::string> RestrictWithLandlock(
    const std::vector<FilesystemEntry>& view) {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0,
                             LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 0) {
    return LastPosixErrorToStatus("landlock_create_ruleset (no landlock)");
  }
  // ABI 1: 13 rights; 2 adds REFER; 3 adds TRUNCATE; 5 adds IOCTL_DEV.
  const int rights = abi >= 5 ? 16 : abi >= 3 ? 15 : abi >= 2 ? 14 : 13;
  RulesetAttr attr = {(uint64_t{1} << rights) - 1, 0, 0};
  size_t attr_size = sizeof(attr.handled_access_fs);
  if (abi >= 6) {
    attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
    attr_size = sizeof(attr);
  }
  const long ruleset =
      ::syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
  if (ruleset < 0) return LastPosixErrorToStatus("landlock_create_ruleset");
  if (absl::Status ruled = internal::AddLandlockViewRules(
          static_cast<int>(ruleset), attr.handled_access_fs, view);
      !ruled.ok()) {
    ::close(static_cast<int>(ruleset));
    return ruled;
  }
  const std::string access =
      view.empty() ? "no filesystem access"
                   : absl::StrCat("filesystem access to the view's ",
                                  view.size(), " entries only");
  const long restricted =
      ::syscall(SYS_landlock_restrict_self, static_cast<int>(ruleset), 0);
  const int saved = errno;
  ::close(static_cast<int>(ruleset));
  if (restricted != 0) {
    return PosixErrorToStatus(saved, "landlock_restrict_self");
  }
  if (abi >= 6) {
    return absl::StrCat(access,
                        "; abstract unix sockets and signals scoped to "
                        "the sandbox (ABI ",
                        abi, ")");
  }
  return absl::StrCat(access, " (ABI ", abi,
                      "; scoping abstract unix sockets and signals needs 6)");
}

// Whether /proc/self/cgroup lists `path` for some hierarchy ("0::/x" for v2,
// "4:memory:/x" for v1).
bool InCgroup(const std::string& path) {
  std::ifstream cgroups("/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroups, line)) {
    const size_t colon = line.rfind(':');
    if (colon != std::string::npos && line.substr(colon + 1) == path) {
      return true;
    }
  }
  return false;
}

SyscallRecorder* g_recorder = nullptr;  // Learning mode only; never freed.
int g_caller_thread = 0;

constexpr char kMultiThreadedPayload[] = "bulkhead.sandbox/multi-threaded";

// Capabilities and Landlock are per thread (capset and landlock_restrict_self
// change only the caller; the seccomp filter alone is synced), so a thread
// that exists now would keep both. Like Chromium's sandbox, refuse.
absl::Status RequireSingleThread() {
#if BH_ANY_SANITIZER
  // The documented "about to sandbox" call: the runtime caches what it will
  // need from /proc and stops a background thread of its own (TSan's) if it
  // started one.
  __sanitizer_sandbox_arguments sanitizer_args = {};
  __sanitizer_sandbox_on_notify(&sanitizer_args);
#endif
  // A thread just joined (the sanitizer's, or one the role ended) is still
  // listed until the kernel has released it, a little after its joiner woke:
  // look again for a moment before counting it. There is no event to wait
  // for; Chromium's sandbox polls /proc the same way.
  absl::StatusOr<std::vector<internal::ThreadStatus>> threads;
  const absl::Time deadline = absl::Now() + absl::Milliseconds(200);
  for (;;) {
    threads = internal::ReadThreadStatuses();
    if (!threads.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot count this process's threads before the lockdown: ",
          threads.status().message()));
    }
    if (threads->size() == 1) return absl::OkStatus();
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(1));
  }
  // As /proc numbers it: its pid namespace may not be ours.
  int self = static_cast<int>(::gettid());
  char link[64];
  const ssize_t n = ::readlink("/proc/thread-self", link, sizeof(link) - 1);
  if (n > 0) {
    link[n] = '\0';
    const char* slash = std::strrchr(link, '/');
    if (slash != nullptr) self = std::atoi(slash + 1);
  }
  std::string others;
  for (const internal::ThreadStatus& thread : *threads) {
    if (thread.tid == self) continue;
    absl::StrAppend(&others, others.empty() ? "" : ", ", "tid ", thread.tid,
                    " '", thread.name, "'");
  }
  absl::Status refused = absl::FailedPreconditionError(absl::StrCat(
      "the lockdown needs a single-threaded process and this one has ",
      threads->size(), " threads (", others,
      "): a thread started before the lockdown would keep its capabilities "
      "and escape Landlock; start threads after the lockdown"));
  refused.SetPayload(kMultiThreadedPayload, absl::Cord("1"));
  return refused;
}

absl::StatusOr<std::string> InstallFilter(const LockdownRequest& request) {
  const bool learning =
      request.policy.violation_action == ViolationAction::kLearn;
  if (learning) {
    g_recorder = new SyscallRecorder;
    g_recorder->Prepare();
  }
  absl::StatusOr<int> listener =
      InstallSeccompProgram(request.seccomp_program, learning);
  if (learning) g_recorder->Attach(listener.ok() ? *listener : -1);
  if (!listener.ok()) return listener.status();
  return absl::StrCat(learning ? "learning (every call recorded), " : "",
                      request.seccomp_program.size() / 8, " instructions");
}

}  // namespace

namespace internal {

absl::StatusOr<std::vector<ThreadStatus>> ReadThreadStatuses() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return LastPosixErrorToStatus("opendir /proc/self/task");
  std::vector<ThreadStatus> threads;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream status(
        absl::StrCat("/proc/self/task/", entry->d_name, "/status"));
    if (!status) continue;  // It ended meanwhile.
    ThreadStatus thread;
    thread.tid = std::atoi(entry->d_name);
    std::string line;
    while (std::getline(status, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      const absl::string_view key(line.data(), colon);
      const absl::string_view value =
          absl::StripAsciiWhitespace(absl::string_view(line).substr(colon + 1));
      if (key == "Name") {
        thread.name = std::string(value);
      } else if (key == "CapEff") {
        thread.effective =
            std::strtoull(std::string(value).c_str(), nullptr, 16);
      } else if (key == "CapPrm") {
        thread.permitted =
            std::strtoull(std::string(value).c_str(), nullptr, 16);
      } else if (key == "NoNewPrivs") {
        thread.no_new_privs = value == "1";
      } else if (key == "Seccomp") {
        thread.seccomp_mode = std::atoi(std::string(value).c_str());
      }
    }
    threads.push_back(std::move(thread));
  }
  ::closedir(dir);
  if (threads.empty()) {
    return absl::NotFoundError("/proc/self/task lists no thread");
  }
  std::sort(threads.begin(), threads.end(),
            [](const ThreadStatus& a, const ThreadStatus& b) {
              return a.tid < b.tid;
            });
  return threads;
}

int LockdownCallerThread() { return g_caller_thread; }

int LockdownRecorderThread() {
  return g_recorder != nullptr ? g_recorder->thread_id() : 0;
}

}  // namespace internal

bool IsMultiThreadedRefusal(const absl::Status& status) {
  return status.GetPayload(kMultiThreadedPayload).has_value();
}

std::vector<int> OpenDescriptors() {
  std::vector<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int dir_fd = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != dir_fd) fds.push_back(fd);
  }
  ::closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

std::vector<std::string> LearnedSyscalls() {
  std::vector<std::string> names;
  if (g_recorder == nullptr) return names;
  for (int number : g_recorder->Recorded()) {
    names.push_back(SyscallName(number));
  }
  return names;
}

std::map<std::string, uint64_t> CurrentNamespaces() {
  std::map<std::string, uint64_t> inodes;
  for (const char* name : kNamespaceNames) {
    struct stat st;
    if (::stat(absl::StrCat("/proc/self/ns/", name).c_str(), &st) == 0) {
      inodes[name] = st.st_ino;
    }
  }
  return inodes;
}

bool LockdownAvailable() { return true; }

bool HelperLocksItselfDown() { return true; }

const std::vector<LayerOutcome>& LockdownOutcomes() { return Outcomes(); }

namespace internal {
const std::vector<FilesystemEntry>& LockdownFilesystemView() { return View(); }
}  // namespace internal

absl::StatusOr<std::vector<LayerOutcome>> LockDown(
    const LockdownRequest& request) {
  const SandboxPolicy& policy = request.policy;
  if (absl::Status single = RequireSingleThread(); !single.ok()) return single;
  std::vector<LayerOutcome> outcomes;
  // Runs one layer: a required layer's failure ends the lockdown.
  auto apply = [&](Layer layer, auto&& step) -> absl::Status {
    const Requirement requirement = policy.requirement(layer);
    if (requirement == Requirement::kOff) return absl::OkStatus();
    absl::StatusOr<std::string> done = step();
    outcomes.push_back(
        {layer, requirement, done.ok(),
         done.ok() ? *done : std::string(done.status().message())});
    if (!done.ok() && requirement == Requirement::kRequired) {
      return absl::FailedPreconditionError(
          absl::StrCat("sandbox layer ", LayerName(layer),
                       " (required) failed: ", done.status().message()));
    }
    return absl::OkStatus();
  };

  // Namespaces were made at launch; here they are only verified.
  const std::map<std::string, uint64_t> mine = CurrentNamespaces();
  const std::pair<Layer, const char*> namespaces[] = {
      {Layer::kUserNamespace, "user"}, {Layer::kPidNamespace, "pid"},
      {Layer::kNetNamespace, "net"},   {Layer::kMountNamespace, "mnt"},
      {Layer::kIpcNamespace, "ipc"},   {Layer::kUtsNamespace, "uts"}};
  bool own_mount_namespace = false;
  for (const auto& entry : namespaces) {
    const Layer layer = entry.first;
    const char* const name = entry.second;
    const auto own = mine.find(name);
    const auto host = request.host_namespaces.find(name);
    const bool separate =
        own != mine.end() &&
        (host == request.host_namespaces.end() || own->second != host->second);
    if (layer == Layer::kMountNamespace) own_mount_namespace = separate;
    absl::Status ok = apply(layer, [&]() -> absl::StatusOr<std::string> {
      if (!separate) {
        return absl::FailedPreconditionError("shares the host's namespace");
      }
      return absl::StrCat(name, ":[", own->second, "]");
    });
    if (!ok.ok()) return ok;
  }
  // Read before the chroot hides /proc: is the helper in the cgroup the host
  // made for it?
  const bool in_own_cgroup =
      !request.cgroup_path.empty() && InCgroup(request.cgroup_path);
  if (absl::Status ok =
          apply(Layer::kCloseFds,
                [&] { return CloseUnlistedDescriptors(request.keep_fds); });
      !ok.ok())
    return ok;
  if (absl::Status ok = apply(Layer::kChroot,
                              [&] {
                                return EnterEmptyRoot(own_mount_namespace,
                                                      policy.filesystem);
                              });
      !ok.ok())
    return ok;
  if (absl::Status ok = apply(Layer::kDropCapabilities, DropCapabilities);
      !ok.ok())
    return ok;
  if (absl::Status ok =
          apply(Layer::kNoNewPrivs,
                []() -> absl::StatusOr<std::string> {
                  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
                    return LastPosixErrorToStatus("prctl(PR_SET_NO_NEW_PRIVS)");
                  return std::string("set");
                });
      !ok.ok())
    return ok;
  if (absl::Status ok =
          apply(Layer::kNotDumpable,
                []() -> absl::StatusOr<std::string> {
                  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
                    return LastPosixErrorToStatus("prctl(PR_SET_DUMPABLE)");
                  return std::string("set");
                });
      !ok.ok())
    return ok;
  if (absl::Status ok = apply(Layer::kResourceLimits,
                              [&] { return ApplyLimits(policy.limits); });
      !ok.ok())
    return ok;
  if (absl::Status ok =
          apply(Layer::kLandlock,
                [&] { return RestrictWithLandlock(policy.filesystem); });
      !ok.ok())
    return ok;
  if (absl::Status ok =
          apply(Layer::kCgroup,
                [&]() -> absl::StatusOr<std::string> {
                  if (request.cgroup_path.empty()) {
                    return absl::FailedPreconditionError(
                        request.cgroup_description.empty()
                            ? "the host made no cgroup"
                            : request.cgroup_description);
                  }
                  if (!in_own_cgroup) {
                    return absl::FailedPreconditionError(
                        absl::StrCat("not in ", request.cgroup_path));
                  }
                  return request.cgroup_description;
                });
      !ok.ok())
    return ok;
  // Last: from here on only the allowlist works.
  if (absl::Status ok =
          apply(Layer::kSeccomp, [&] { return InstallFilter(request); });
      !ok.ok())
    return ok;
  Outcomes() = outcomes;
  View() = policy.filesystem;
  g_caller_thread = static_cast<int>(::gettid());
  return outcomes;
}

}  // namespace bulkhead::sandbox
