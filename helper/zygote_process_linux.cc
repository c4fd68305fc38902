#include "helper/zygote_process_linux.h"

#include <cstdint>
#include <cstring>

#include "common/proc_stat_linux.h"

namespace bulkhead {

int OwnThreadCount() {
  return static_cast<int>(ProcStatField(ProcStatFields("/proc/self/stat"), 20));
}

ProcessTitle::ProcessTitle(int argc, const char* const* argv) {
  if (argc < 1 || argv[0] == nullptr) return;
  const char* end = argv[0];
  for (int i = 0; i < argc; ++i) {
    if (argv[i] != end) return;  // Not one block: not the kernel's.
    end += std::strlen(argv[i]) + 1;
  }
  // Writable only when it is the block the kernel made at exec (arg_start,
  // arg_end: fields 48 and 49), not strings of the embedder's.
  const std::vector<std::string> fields = ProcStatFields("/proc/self/stat");
  const uint64_t arg_start = ProcStatField(fields, 48);
  const uint64_t arg_end = ProcStatField(fields, 49);
  if (arg_start == 0 || reinterpret_cast<uintptr_t>(argv[0]) != arg_start ||
      reinterpret_cast<uintptr_t>(end) != arg_end) {
    return;
  }
  begin_ = const_cast<char*>(argv[0]);
  size_ = static_cast<size_t>(end - argv[0]);
}

bool ProcessTitle::Fits(const std::vector<std::string>& argv) const {
  size_t needed = 0;
  for (const std::string& arg : argv) needed += arg.size() + 1;
  return needed <= size_;
}

void ProcessTitle::Set(const std::vector<std::string>& argv) {
  if (!Fits(argv)) return;
  char* out = begin_;
  for (const std::string& arg : argv) {
    std::memcpy(out, arg.c_str(), arg.size() + 1);
    out += arg.size() + 1;
  }
  std::memset(out, 0, static_cast<size_t>(begin_ + size_ - out));
}

}  // namespace bulkhead
