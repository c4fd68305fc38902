// One helper's cgroup (Linux): memory and process-count limits the kernel
// enforces on the helper and everything it starts, and a record of whether
// the kernel's OOM killer ended it. cgroup v2 where the unified hierarchy
// has the memory and pids controllers, else the v1 memory and pids
// hierarchies; either only where the host may write (root, or delegation).
#ifndef BULKHEAD_HOST_LAUNCH_HELPER_CGROUP_LINUX_H_
#define BULKHEAD_HOST_LAUNCH_HELPER_CGROUP_LINUX_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/platform_handle.h"

namespace bulkhead {

class HelperCgroup {
 public:
  // Makes the helper's cgroup with the limits (0: none), named
  // "<host pid>.<host start time>-<name>" (`name` unique per helper of this
  // host). First it reclaims the cgroups that hosts no longer running left
  // behind (killed with SIGKILL, they could not remove them): it kills what
  // is left in each and removes it. The start time tells a dead host from
  // a live process that reused its pid; and a live host holds a shared
  // flock on each of its directories, which a reclaim must lock
  // exclusively, so one whose pid means nothing here (another pid
  // namespace) keeps them. One that another host is reclaiming (locked
  // exclusively) is waited for, up to 2 s in all, and never again once a
  // lock has outlasted that (any process that may open the directory can
  // lock it).
  // FailedPrecondition when no writable cgroup with those controllers exists.
  static absl::StatusOr<std::unique_ptr<HelperCgroup>> Create(
      const std::string& name, uint64_t memory_bytes, uint64_t pids);
  // Removes the cgroup directories (they must be empty by then: the helper
  // and its namespace are gone).
  ~HelperCgroup();
  HelperCgroup(const HelperCgroup&) = delete;
  HelperCgroup& operator=(const HelperCgroup&) = delete;

  // Removes the cgroup directories if they are empty by now (what the
  // destructor does, but telling): whether none is left. A forked sandboxed
  // helper's cgroup may still hold its teardown keeper when the helper is
  // reported (sandbox_zygote_linux.h).
  bool TryRemove();
  // Moves `pid` in; its children are born inside.
  absl::Status AddProcess(pid_t pid);
  // True once the kernel's OOM killer has killed something in it.
  bool OutOfMemoryKilled() const;
  // "cgroup v1 /bulkhead/123.456-4 ...", for the probe and reports.
  const std::string& description() const { return description_; }
  // The path the helper sees for itself in /proc/self/cgroup.
  const std::string& relative_path() const { return relative_path_; }

 private:
  HelperCgroup() = default;
  // Locks `leaf` (shared) for as long as this lives.
  absl::Status HoldDirectory(const std::string& leaf);

  std::vector<std::string> directories_;  // One per hierarchy.
  std::string memory_events_;             // Where the oom_kill count is.
  std::string description_;
  std::string relative_path_;
  std::vector<ScopedHandle> locks_;  // Closed after the directories go.
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_HELPER_CGROUP_LINUX_H_
