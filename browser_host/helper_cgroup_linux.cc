#include "browser_host/helper_cgroup_linux.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/kernel_file_linux.h"
#include "common/os_error.h"
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
  const Mounts mounts = FindMounts();
  cgroup->relative_path_ = absl::StrCat("/", kParent, "/", name);
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
    const std::string leaf = absl::StrCat(parent, "/", name);
    if (absl::Status ok = MakeDirectory(leaf); !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    cgroup->directories_.push_back(leaf);
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
    const std::string leaf = absl::StrCat(parent, "/", name);
    if (absl::Status ok = MakeDirectory(parent); !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    if (absl::Status ok = MakeDirectory(leaf); !ok.ok()) {
      return absl::FailedPreconditionError(ok.message());
    }
    cgroup->directories_.push_back(leaf);
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

HelperCgroup::~HelperCgroup() {
  for (const std::string& directory : directories_) {
    ::rmdir(directory.c_str());
  }
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
