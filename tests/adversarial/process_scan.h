// What is alive on the machine, read from /proc: the adversarial driver's
// check that nothing a helper started outlives it.
#ifndef BULKHEAD_TESTS_ADVERSARIAL_PROCESS_SCAN_H_
#define BULKHEAD_TESTS_ADVERSARIAL_PROCESS_SCAN_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace adversarial {

struct ProcessRecord {
  pid_t pid = 0;
  char state = '?';  // As /proc/<pid>/stat says: R, S, Z, T, ...
  pid_t parent = 0;
  pid_t group = 0;
  pid_t session = 0;
};

// Every process on the machine (that still exists by the time its stat file
// is read).
std::vector<ProcessRecord> AllProcesses();

// Processes with an argument that starts with `prefix` on their command line
// (children forked without exec keep their parent's), other than this one.
std::vector<pid_t> ProcessesWithArgumentPrefix(const std::string& prefix);

// Processes whose parent is `parent`.
std::vector<ProcessRecord> ChildrenOf(pid_t parent);

// Live processes in process group or session `id` (a helper's pid: its group
// and, for a helper that leads one, its session). Zombies are left out: they
// are dead, and reaping one is its parent's business (a helper's reparented
// teardown keeper waits for the machine's init).
std::vector<pid_t> ProcessesInGroupOrSession(pid_t id);

// Waits until each of `pids` has ended (exited or killed: a zombie counts as
// ended), up to `timeout` in all, woken by each process's pidfd. Returns
// those still running then.
std::vector<pid_t> WaitUntilGone(const std::vector<pid_t>& pids,
                                 int timeout_ms);

// How many descriptors this process has open.
int OpenDescriptorCount();

}  // namespace adversarial

#endif  // BULKHEAD_TESTS_ADVERSARIAL_PROCESS_SCAN_H_
