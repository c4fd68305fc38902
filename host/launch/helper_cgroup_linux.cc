#include "host/launch/helper_cgroup_linux.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/kernel_file_linux.h"
#include "common/os_error.h"
#include "common/platform_handle.h"
#include "common/proc_stat_linux.h"
#include "common/status_macros.h"

namespace bulkhead {
namespace {

constexpr char kParent[] = "bulkhead";

struct Mounts {
  std::string unified;  // cgroup2
  std::string memory;   // cgroup v1 with the memory controller
  std::string pids;     // cgroup v1 with the pids controller
};

// From /proc/self/mountinfo: "... <mount point> ... - <fstype> <source>
// <super options>".
Mounts FindMounts() {
  Mounts mounts;
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  while (std::getline(info, line)) {
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string> head = absl::StrSplit(line.substr(0, dash), ' ');
    std::vector<std::string> tail = absl::StrSplit(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    const std::string& point = head[4];
    if (tail[0] == "cgroup2") {
      mounts.unified = point;
    } else if (tail[0] == "cgroup") {
      for (absl::string_view option : absl::StrSplit(tail[2], ',')) {
        if (option == "memory") mounts.memory = point;
        if (option == "pids") mounts.pids = point;
      }
    }
  }
  return mounts;
}

absl::Status MakeDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) {
    return absl::OkStatus();
  }
  return LastPosixErrorToStatus(absl::StrCat("mkdir ", path));
}

// How long reclaiming one abandoned cgroup waits for what is left in it to
// die.
constexpr absl::Duration kReclaimTimeout = absl::Seconds(1);

// When the process `pid` started (field 22 of its stat, in clock ticks since
// boot); 0 when there is no such process.
uint64_t StartTime(int64_t pid) {
  return ProcStatField(ProcStatFields(absl::StrCat("/proc/", pid, "/stat")),
                       22);
}

// "<pid>.<start time>": names this host's helpers' cgroups, so that another
// host can tell them from those of a dead one even once the pid is reused.
const std::string& HostTag() {
  static const std::string* const tag =
      new std::string(absl::StrCat(::getpid(), ".", StartTime(::getpid())));
  return *tag;
}

// Whether the host that named the cgroup `name` ("<pid>.<start>-<id>", or
// "<pid>-<id>" from before the start time was in the name) is still running.
// A name of neither form is not a helper's: it counts as alive (it is left
// alone).
bool OwnerAlive(absl::string_view name) {
  const size_t dash = name.find('-');
  if (dash == absl::string_view::npos) return true;
  const absl::string_view owner = name.substr(0, dash);
  const size_t dot = owner.find('.');
  int64_t pid = 0;
  uint64_t start = 0;
  if (!absl::SimpleAtoi(owner.substr(0, dot), &pid) || pid <= 0) return true;
  if (dot != absl::string_view::npos &&
      !absl::SimpleAtoi(owner.substr(dot + 1), &start)) {
    return true;
  }
  if (pid == ::getpid()) return true;
  const uint64_t running_since = StartTime(pid);
  if (running_since == 0) return false;
  // Without a start time in the name, any process with that pid may be it.
  return dot == absl::string_view::npos || running_since == start;
}

// The pids in `directory`'s cgroup.procs (a leader that has exited while
// its other threads still run is listed too).
std::vector<int64_t> ProcessesIn(const std::string& directory) {
  std::vector<int64_t> pids;
  std::ifstream procs(directory + "/cgroup.procs");
  int64_t pid = 0;
  while (procs >> pid) pids.push_back(pid);
  return pids;
}

// Kills what is left in the abandoned cgroup `directory`, waits for it to
// end, and removes the directory; again while something is left (a child
// born inside meanwhile), up to kReclaimTimeout. A pid is signalled through
// a pidfd, and only if it is still listed in the group once the pidfd is
// open: never another process that reused the pid.
void Reclaim(const std::string& directory) {
  const absl::Time deadline = absl::Now() + kReclaimTimeout;
  while (::rmdir(directory.c_str()) != 0 && errno == EBUSY &&
         absl::Now() < deadline) {
    std::vector<std::pair<int64_t, ScopedHandle>> dying;
    for (int64_t pid : ProcessesIn(directory)) {
      ScopedHandle pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
      if (pidfd.is_valid()) dying.emplace_back(pid, std::move(pidfd));
    }
    // Still listed once its pidfd is open, the pid names the process the
    // pidfd does (or that one has gone, and the signal goes nowhere).
    const std::vector<int64_t> still = ProcessesIn(directory);
    std::erase_if(dying, [&](const auto& entry) {
      return std::find(still.begin(), still.end(), entry.first) == still.end();
    });
    for (auto& [pid, pidfd] : dying) {
      ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    }
    // A pidfd polls readable once its process has exited (every thread:
    // until then it is still in the group).
    for (auto& [pid, pidfd] : dying) {
      pollfd wait = {pidfd.get(), POLLIN, 0};
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left <= 0) break;
      while (::poll(&wait, 1, static_cast<int>(left)) < 0 && errno == EINTR) {
      }
    }
    // Busy with no process listed: a last task still being torn down (cgroup
    // v1 lists a task no more before its group lets go). Nothing to wait on:
    // again shortly, within the deadline.
    if (dying.empty()) absl::SleepFor(absl::Milliseconds(2));
  }
}

// How long one HelperCgroup::Create waits, in all, for other hosts' reclaims
// of the cgroups it found abandoned: twice kReclaimTimeout.
constexpr absl::Duration kReclaimWait = absl::Seconds(2);
constexpr absl::Duration kLockRetry = absl::Milliseconds(10);

// The directory `path`, open and locked with flock `operation` (LOCK_SH: a
// live host's own; LOCK_EX: taken to reclaim it), or none when it cannot be
// (another holds it, past `until`).
ScopedHandle LockDirectory(const std::string& path, int operation,
                           absl::Time until = absl::InfinitePast()) {
  ScopedHandle directory(
      ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!directory.is_valid()) return ScopedHandle();
  // Never a blocking flock: anything that may open the directory can hold
  // it locked for ever.
  while (::flock(directory.get(), operation | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK || absl::Now() >= until) return ScopedHandle();
    absl::SleepFor(kLockRetry);
  }
  return directory;
}

// The abandoned cgroups a reclaim here waited for in vain: locked by
// something that is no host's bounded reclaim (any process that may open
// the directory can flock it). Tried again, but never waited for again.
bool WaitedInVain(const std::string& directory, bool add) {
  static auto* const mutex = new std::mutex;
  static auto* const directories = new std::set<std::string>;
  std::lock_guard<std::mutex> lock(*mutex);
  return add ? directories->insert(directory).second
             : directories->count(directory) > 0;
}

// Reclaims the helper cgroups under `parent` whose host has died: named for
// a host not running here, and not locked by a live one (a host in another
// pid namespace names them with a pid that means nothing here). Waits for
// another host's reclaim of one until `wait_until` at the latest.
void ReclaimAbandoned(const std::string& parent, absl::Time wait_until) {
  DIR* listing = ::opendir(parent.c_str());
  if (listing == nullptr) return;
  std::vector<std::string> abandoned;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (entry->d_type != DT_DIR || name == "." || name == "..") continue;
    if (!OwnerAlive(name)) abandoned.push_back(name);
  }
  ::closedir(listing);
  for (const std::string& name : abandoned) {
    const std::string directory = absl::StrCat(parent, "/", name);
    // Held while it is reclaimed.
    ScopedHandle reclaiming = LockDirectory(directory, LOCK_EX);
    if (!reclaiming.is_valid() &&
        !LockDirectory(directory, LOCK_SH).is_valid() &&
        !WaitedInVain(directory, /*add=*/false)) {
      // Not a live host's (it would hold LOCK_SH), but another host's
      // reclaim, bounded by kReclaimTimeout: waited for, so that what this
      // host found abandoned is gone when it goes on. This runs on the
      // host's loop, so not for long, and not twice for a lock that outlived
      // a reclaim.
      reclaiming = LockDirectory(directory, LOCK_EX, wait_until);
      struct stat still = {};
      if (!reclaiming.is_valid() && ::stat(directory.c_str(), &still) == 0) {
        WaitedInVain(directory, /*add=*/true);
      }
    }
    if (reclaiming.is_valid()) Reclaim(directory);
  }
}

bool HasControllers(const std::string& unified) {
  const std::string controllers =
      ReadKernelFile(unified + "/cgroup.controllers");
  return absl::StrContains(controllers, "memory") &&
         absl::StrContains(controllers, "pids");
}

}  // namespace

absl::StatusOr<std::unique_ptr<HelperCgroup>> HelperCgroup::Create(
    const std::string& name, uint64_t memory_bytes, uint64_t pids) {
  std::unique_ptr<HelperCgroup> cgroup(new HelperCgroup);
  const absl::Time wait_until = absl::Now() + kReclaimWait;
  const Mounts mounts = FindMounts();
  const std::string leaf_name = absl::StrCat(HostTag(), "-", name);
  cgroup->relative_path_ = absl::StrCat("/", kParent, "/", leaf_name);
  if (!mounts.unified.empty() && HasControllers(mounts.unified)) {
    const std::string parent = absl::StrCat(mounts.unified, "/", kParent);
    // Controllers must be enabled on the way down to the helper's group.
    if (absl::Status ok = WriteKernelFile(
            mounts.unified + "/cgroup.subtree_control", "+memory +pids");
        !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    if (absl::Status ok = MakeDirectory(parent); !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    if (absl::Status ok = WriteKernelFile(parent + "/cgroup.subtree_control",
                                          "+memory +pids");
        !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    ReclaimAbandoned(parent, wait_until);
    const std::string leaf = absl::StrCat(parent, "/", leaf_name);
    if (absl::Status ok = MakeDirectory(leaf); !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    cgroup->directories_.push_back(leaf);
    BH_RETURN_IF_ERROR(cgroup->HoldDirectory(leaf));
    if (memory_bytes > 0) {
      BH_RETURN_IF_ERROR(
          WriteKernelFile(leaf + "/memory.max", absl::StrCat(memory_bytes)));
      BH_RETURN_IF_ERROR(WriteKernelFile(leaf + "/memory.swap.max", "0"));
    }
    if (pids > 0) {
      BH_RETURN_IF_ERROR(
          WriteKernelFile(leaf + "/pids.max", absl::StrCat(pids)));
    }
    cgroup->memory_events_ = leaf + "/memory.events";
    cgroup->description_ = absl::StrCat(
        "cgroup v2 ", cgroup->relative_path_,
        memory_bytes > 0 ? absl::StrCat(" memory.max=", memory_bytes) : "",
        pids > 0 ? absl::StrCat(" pids.max=", pids) : "");
    return cgroup;
  }
  if (mounts.memory.empty() || mounts.pids.empty()) {
    return absl::FailedPreconditionError(
        "no cgroup with the memory and pids controllers is mounted");
  }
  for (const std::string& mount : {mounts.memory, mounts.pids}) {
    const std::string parent = absl::StrCat(mount, "/", kParent);
    const std::string leaf = absl::StrCat(parent, "/", leaf_name);
    if (absl::Status ok = MakeDirectory(parent); !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    ReclaimAbandoned(parent, wait_until);
    if (absl::Status ok = MakeDirectory(leaf); !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    cgroup->directories_.push_back(leaf);
    BH_RETURN_IF_ERROR(cgroup->HoldDirectory(leaf));
  }
  const std::string& memory_leaf = cgroup->directories_[0];
  const std::string& pids_leaf = cgroup->directories_[1];
  if (memory_bytes > 0) {
    BH_RETURN_IF_ERROR(WriteKernelFile(memory_leaf + "/memory.limit_in_bytes",
                                       absl::StrCat(memory_bytes)));
  }
  if (pids > 0) {
    BH_RETURN_IF_ERROR(
        WriteKernelFile(pids_leaf + "/pids.max", absl::StrCat(pids)));
  }
  cgroup->memory_events_ = memory_leaf + "/memory.oom_control";
  cgroup->description_ = absl::StrCat(
      "cgroup v1 ", cgroup->relative_path_,
      memory_bytes > 0 ? absl::StrCat(" memory.limit=", memory_bytes) : "",
      pids > 0 ? absl::StrCat(" pids.max=", pids) : "");
  return cgroup;
}

absl::Status HelperCgroup::HoldDirectory(const std::string& leaf) {
  ScopedHandle held = LockDirectory(leaf, LOCK_SH);
  if (!held.is_valid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot lock ", leaf, " (another host reclaims it?)"));
  }
  locks_.push_back(std::move(held));
  return absl::OkStatus();
}

HelperCgroup::~HelperCgroup() {
  for (const std::string& directory : directories_) {
    ::rmdir(directory.c_str());
  }
}

bool HelperCgroup::TryRemove() {
  bool removed = true;
  for (const std::string& directory : directories_) {
    if (::rmdir(directory.c_str()) != 0 && errno != ENOENT) removed = false;
  }
  return removed;
}

absl::Status HelperCgroup::AddProcess(pid_t pid) {
  for (const std::string& directory : directories_) {
    BH_RETURN_IF_ERROR(
        WriteKernelFile(directory + "/cgroup.procs", absl::StrCat(pid)));
  }
  return absl::OkStatus();
}

bool HelperCgroup::OutOfMemoryKilled() const {
  std::ifstream events(memory_events_);
  std::string key;
  uint64_t count = 0;
  while (events >> key >> count) {
    if (key == "oom_kill") return count > 0;
  }
  return false;
}

}  // namespace bulkhead
