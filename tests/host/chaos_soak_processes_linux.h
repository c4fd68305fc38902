// What the chaos soak (chaos_soak_test.cc) reads from /proc and does to
// processes, Linux: this process's usage, every visible process, signals that
// reach only this process's own helpers, and what a run left behind.
#ifndef BULKHEAD_TESTS_HOST_CHAOS_SOAK_PROCESSES_LINUX_H_
#define BULKHEAD_TESTS_HOST_CHAOS_SOAK_PROCESSES_LINUX_H_

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace bulkhead::testing {

// Entries in a /proc directory of this process (fds, tasks).
size_t CountEntries(const char* directory);

struct Usage {
  size_t fds = 0;
  size_t threads = 0;
  uint64_t rss = 0;
  // Each open descriptor as "N -> what it is" (its /proc/self/fd link), where
  // MeasureUsage filled it.
  std::set<std::string> open_fds;
};

// This process's fds, threads and resident memory, after giving back what
// malloc holds freed.
Usage MeasureUsage();

// The descriptors open in `after` that were not in `before`, joined, for a
// leak's message.
std::string NewDescriptors(const Usage& before, const Usage& after);

struct ProcEntry {
  int64_t pid = 0;
  char state = '?';
  int64_t ppid = 0;
  int64_t pgid = 0;
  int64_t sid = 0;
  // 0 once the process has released its memory: it is exiting (or a kernel
  // thread) and runs no more code of its own.
  uint64_t vsize = 0;
};

// Every process this one can see.
std::vector<ProcEntry> AllProcesses();

std::string ReadFileBytes(const std::string& path);

// "<pid> (<command line>)".
std::string Describe(int64_t pid);

// A forked helper's command line is written over the zygote's padded one, so
// it ends in NULs; an exec'd one ends in one NUL (zygote_host_test.cc).
bool LooksForked(int64_t pid);

// Sends `signal` to `pid` if it still is a helper of this process: its parent
// is this process (exec'd and zygote-forked helpers) or a child of it (a
// sandboxed helper's namespace init). Through a pidfd taken before the check,
// so that a pid reused meanwhile is never signalled.
bool SignalOwnHelper(int64_t pid, int signal);

// What is left of a run whose helpers (and their children) had `pids`: any
// child of this process (zombie or not), anything in a helper's process group
// or session or with a helper for parent, anything running this executable.
// Ended orphans that only wait for the system's init are not left behind:
// they are counted in `dead_orphans`.
std::vector<std::string> LeftBehind(const std::set<int64_t>& pids,
                                    int& dead_orphans);

// A one-shot timer on `loop` that frees itself.
class Timer {
 public:
  static void After(uv_loop_t* loop, absl::Duration delay,
                    absl::AnyInvocable<void()> task);

  // Timers started and not yet freed: the loop must not end with one.
  static int live() { return live_; }

 private:
  explicit Timer(absl::AnyInvocable<void()> task) : task_(std::move(task)) {}
  static inline int live_ = 0;
  uv_timer_t handle_;
  absl::AnyInvocable<void()> task_;
};

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_HOST_CHAOS_SOAK_PROCESSES_LINUX_H_
