// What a zygote needs to know about its own process before it forks helpers
// (Linux, from /proc/self/stat): that it has one thread, and where the kernel
// keeps its command line.
#ifndef BULKHEAD_HELPER_ZYGOTE_PROCESS_LINUX_H_
#define BULKHEAD_HELPER_ZYGOTE_PROCESS_LINUX_H_

#include <cstddef>
#include <string>
#include <vector>

namespace bulkhead {

// This process's thread count; 0 when /proc cannot tell. A raw clone copies
// only the calling thread, so a zygote must have no other: a lock another
// thread held (malloc's, the logger's) would stay held in every helper.
int OwnThreadCount();

// The memory the kernel shows as /proc/<pid>/cmdline: main's argv strings,
// one block between the kernel's arg_start and arg_end. A forked helper
// writes its own argv there, NUL-separated, and clears the rest. Only when
// the argv given is exactly that block (main's own, unchanged) is there any
// room; otherwise Fits is always false.
class ProcessTitle {
 public:
  ProcessTitle(int argc, const char* const* argv);

  bool Fits(const std::vector<std::string>& argv) const;
  // Writes `argv` when it fits; otherwise leaves the title as it is.
  void Set(const std::vector<std::string>& argv);

 private:
  char* begin_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_ZYGOTE_PROCESS_LINUX_H_
