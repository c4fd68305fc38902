#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sandbox/syscall_table.h"
#include "sandbox/syscall_table_entries.h"

namespace bulkhead::sandbox {

bool SyscallTableAvailable() { return true; }

std::optional<int> SyscallNumber(absl::string_view name) {
  const SyscallEntry* begin = kSyscallEntries;
  const SyscallEntry* end = kSyscallEntries + kSyscallEntryCount;
  const SyscallEntry* found = std::lower_bound(
      begin, end, name, [](const SyscallEntry& entry, absl::string_view key) {
        return absl::string_view(entry.name) < key;
      });
  if (found == end || found->name != name) return std::nullopt;
  return found->number;
}

std::string SyscallName(int number) {
  for (int i = 0; i < kSyscallEntryCount; ++i) {
    if (kSyscallEntries[i].number == number) return kSyscallEntries[i].name;
  }
  return absl::StrCat("syscall ", number);
}

}  // namespace bulkhead::sandbox
