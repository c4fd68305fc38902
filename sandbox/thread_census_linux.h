// Internal to the sandbox library (Linux): the threads of this process and
// the per-thread state the lockdown changes, for the lockdown's refusal of a
// multi-threaded process and the probe's every-thread check.
#ifndef BULKHEAD_SANDBOX_THREAD_CENSUS_LINUX_H_
#define BULKHEAD_SANDBOX_THREAD_CENSUS_LINUX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bulkhead::sandbox::internal {

// One thread as /proc/self/task/<tid>/status shows it.
struct ThreadStatus {
  int tid = 0;
  std::string name;        // Its comm.
  uint64_t effective = 0;  // CapEff.
  uint64_t permitted = 0;  // CapPrm.
  bool no_new_privs = false;
  int seccomp_mode = 0;  // 0 none, 1 strict, 2 filter.
};

// Every thread of this process, by tid. An error when /proc/self/task cannot
// be read (e.g. after the lockdown's chroot).
absl::StatusOr<std::vector<ThreadStatus>> ReadThreadStatuses();

// The thread that ran LockDown and, in learning mode, the recorder thread
// the lockdown started (unfiltered by design); 0 when there is none.
int LockdownCallerThread();
int LockdownRecorderThread();

}  // namespace bulkhead::sandbox::internal

#endif  // BULKHEAD_SANDBOX_THREAD_CENSUS_LINUX_H_
