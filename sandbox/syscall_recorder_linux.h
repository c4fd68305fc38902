// Learning mode's listener (Linux): a thread that receives the seccomp
// user notifications of every system call the filtered threads make,
// records the call's number and lets it continue. It is started before the
// learning filter goes in, which then covers the installing thread and the
// threads it starts later but not this one: it can never wait on itself.
// Threads that already ran elsewhere at lockdown are not recorded.
#ifndef BULKHEAD_SANDBOX_SYSCALL_RECORDER_LINUX_H_
#define BULKHEAD_SANDBOX_SYSCALL_RECORDER_LINUX_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace bulkhead::sandbox {

class SyscallRecorder {
 public:
  SyscallRecorder() = default;
  // Never returns while the process lives: the thread serves every call.
  ~SyscallRecorder() = default;
  SyscallRecorder(const SyscallRecorder&) = delete;
  SyscallRecorder& operator=(const SyscallRecorder&) = delete;

  // Before the learning filter is installed: starts the thread, which waits
  // for Attach. Detached: it runs until the process ends.
  void Prepare();
  // Right after installing: hands the thread `listener` (from
  // InstallSeccompProgram with learning) without a system call, since
  // nobody answers the installing thread's calls until the thread has it.
  // A negative `listener` (the install failed) ends the thread.
  void Attach(int listener);

  // The recorder thread's id, once Prepare returned.
  int thread_id() const { return thread_id_.load(std::memory_order_relaxed); }

  // The numbers recorded so far, ascending.
  std::vector<int> Recorded() const;

 private:
  void Serve();

  std::atomic<bool> serving_{false};
  std::atomic<int> listener_{-1};
  std::atomic<int> thread_id_{0};
  static constexpr int kMaxNumber = 1024;
  std::array<std::atomic<uint64_t>, kMaxNumber / 64> seen_{};
};

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SYSCALL_RECORDER_LINUX_H_
