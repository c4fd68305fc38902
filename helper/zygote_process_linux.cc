#include "helper/zygote_process_linux.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bulkhead {
namespace {

// /proc/self/stat from field 3 on (field N at index N - 3); empty when it
// cannot be read. The command name (field 2) may hold spaces and ')'.
std::vector<std::string> OwnStatFields() {
  std::ifstream file("/proc/self/stat");
  std::string stat;
  if (!std::getline(file, stat)) return {};
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return {};
  std::istringstream words(stat.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string field; words >> field;) fields.push_back(field);
  return fields;
}

uint64_t FieldOr0(const std::vector<std::string>& fields, size_t number) {
  if (number < 3 || number - 3 >= fields.size()) return 0;
  return std::strtoull(fields[number - 3].c_str(), nullptr, 10);
}

}  // namespace

int OwnThreadCount() { return static_cast<int>(FieldOr0(OwnStatFields(), 20)); }

ProcessTitle::ProcessTitle(int argc, const char* const* argv) {
  if (argc < 1 || argv[0] == nullptr) return;
  const char* end = argv[0];
  for (int i = 0; i < argc; ++i) {
    if (argv[i] != end) return;  // Not one block: not the kernel's.
    end += std::strlen(argv[i]) + 1;
  }
  // Writable only when it is the block the kernel made at exec (arg_start,
  // arg_end: fields 48 and 49), not strings of the embedder's.
  const std::vector<std::string> fields = OwnStatFields();
  const uint64_t arg_start = FieldOr0(fields, 48);
  const uint64_t arg_end = FieldOr0(fields, 49);
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
