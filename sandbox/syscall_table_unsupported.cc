#include "absl/strings/str_cat.h"
#include "sandbox/syscall_table.h"

namespace bulkhead::sandbox {

bool SyscallTableAvailable() { return false; }

std::optional<int> SyscallNumber(absl::string_view) { return std::nullopt; }

std::string SyscallName(int number) { return absl::StrCat("syscall ", number); }

}  // namespace bulkhead::sandbox
