#include "tests/host/chaos_soak_processes_linux.h"

#include <malloc.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/kernel_file_linux.h"
#include "common/proc_stat_linux.h"
#include "tests/support/process_probe.h"

namespace bulkhead::testing {

// Entries in a /proc directory of this process (fds, tasks).
size_t CountEntries(const char* directory) {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(directory)) {
    ++count;
  }
  return count;
}

Usage MeasureUsage() {
  // Freed memory that malloc still holds would read as growth.
  ::malloc_trim(0);
  Usage usage;
  // The listing's own descriptor is left out: its number moves with a leak,
  // and it would read as one more.
  const std::string listing = absl::StrCat("/proc/", ::getpid(), "/fd");
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd", error)) {
    std::error_code unreadable;
    const std::filesystem::path target =
        std::filesystem::read_symlink(entry.path(), unreadable);
    if (target.string() == listing) continue;
    usage.open_fds.insert(absl::StrCat(entry.path().filename().string(), " -> ",
                                       target.string()));
  }
  // Unlistable (no descriptor left to list with, say): one entry that says
  // so, never a quiet count of none; the counts then differ and the leak's
  // message shows why.
  if (error) {
    usage.open_fds.insert(absl::StrCat("(cannot list: ", error.message(), ")"));
  }
  usage.fds = usage.open_fds.size();
  usage.threads = CountEntries("/proc/self/task");
  usage.rss = CurrentRssBytes();
  return usage;
}

std::string NewDescriptors(const Usage& before, const Usage& after) {
  std::vector<std::string> added;
  for (const std::string& fd : after.open_fds) {
    if (!before.open_fds.contains(fd)) added.push_back(fd);
  }
  return absl::StrJoin(added, ", ");
}

// Every process this one can see.
std::vector<ProcEntry> AllProcesses() {
  std::vector<ProcEntry> processes;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    ProcEntry process;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &process.pid)) {
      continue;
    }
    const std::vector<std::string> fields =
        ProcStatFields(absl::StrCat("/proc/", process.pid, "/stat"));
    if (fields.size() < 4) continue;  // Gone meanwhile.
    process.state = fields[0].empty() ? '?' : fields[0][0];
    process.ppid = static_cast<int64_t>(ProcStatField(fields, 4));
    process.pgid = static_cast<int64_t>(ProcStatField(fields, 5));
    process.sid = static_cast<int64_t>(ProcStatField(fields, 6));
    process.vsize = ProcStatField(fields, 23);
    processes.push_back(process);
  }
  return processes;
}

std::string ReadFileBytes(const std::string& path) {
  // Not an istreambuf_iterator: a process that ends mid-read fails the
  // read (ESRCH), and that threw out of the soak.
  return ReadKernelFile(path);
}

std::string Describe(int64_t pid) {
  std::string cmdline = ReadFileBytes(absl::StrCat("/proc/", pid, "/cmdline"));
  for (char& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  return absl::StrCat(pid, " (", cmdline, ")");
}

// A forked helper's command line is written over the zygote's padded one, so
// it ends in NULs; an exec'd one ends in one NUL (zygote_host_test.cc).
bool LooksForked(int64_t pid) {
  const std::string bytes =
      ReadFileBytes(absl::StrCat("/proc/", pid, "/cmdline"));
  return bytes.size() >= 2 && bytes[bytes.size() - 2] == '\0';
}

// Sends `signal` to `pid` if it still is a helper of this process: its parent
// is this process (exec'd and zygote-forked helpers) or a child of it (a
// sandboxed helper's namespace init). Through a pidfd taken before the check,
// so that a pid reused meanwhile is never signalled.
bool SignalOwnHelper(int64_t pid, int signal) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return false;
  const int64_t self = ::getpid();
  const int64_t parent = static_cast<int64_t>(
      ProcStatField(ProcStatFields(absl::StrCat("/proc/", pid, "/stat")), 4));
  const int64_t grandparent =
      parent <= 0
          ? 0
          : static_cast<int64_t>(ProcStatField(
                ProcStatFields(absl::StrCat("/proc/", parent, "/stat")), 4));
  bool sent = false;
  if (parent == self || grandparent == self) {
    sent = ::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) == 0;
  }
  ::close(pidfd);
  return sent;
}

std::vector<std::string> LeftBehind(const std::set<int64_t>& pids,
                                    int& dead_orphans) {
  const std::string self_exe = std::filesystem::read_symlink("/proc/self/exe");
  std::vector<std::string> left;
  for (const ProcEntry& process : AllProcesses()) {
    if (process.pid == ::getpid()) continue;
    std::error_code error;
    const std::filesystem::path exe = std::filesystem::read_symlink(
        absl::StrCat("/proc/", process.pid, "/exe"), error);
    const bool ours =
        process.ppid == ::getpid() || pids.count(process.pid) != 0 ||
        pids.count(process.pgid) != 0 || pids.count(process.sid) != 0 ||
        pids.count(process.ppid) != 0 || (!error && exe == self_exe);
    // A zombie that is not ours has ended: it only waits for its parent
    // (the system's init, for an orphan) to collect it. So has a process
    // whose memory is already gone, still in the kernel's exit path (state R
    // or D, an empty command line): a killed one under load, where tearing
    // down a sanitizer's mappings takes a while.
    const bool exiting = process.state == 'Z' || process.vsize == 0;
    if (ours && exiting && process.ppid != ::getpid()) {
      ++dead_orphans;
      continue;
    }
    if (ours) {
      left.push_back(absl::StrCat(
          Describe(process.pid), " state ", std::string(1, process.state),
          " vsize ", process.vsize, " ppid ", process.ppid, " pgid ",
          process.pgid, " sid ", process.sid));
    }
  }
  return left;
}

void Timer::After(uv_loop_t* loop, absl::Duration delay,
                  absl::AnyInvocable<void()> task) {
  ++live_;
  auto* timer = new Timer(std::move(task));
  uv_timer_init(loop, &timer->handle_);
  timer->handle_.data = timer;
  uv_timer_start(
      &timer->handle_,
      [](uv_timer_t* handle) {
        auto* self = static_cast<Timer*>(handle->data);
        self->task_();
        uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* h) {
          delete static_cast<Timer*>(h->data);
          --live_;
        });
      },
      static_cast<uint64_t>(absl::ToInt64Milliseconds(delay)), 0);
}

}  // namespace bulkhead::testing
