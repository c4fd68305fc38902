// The generated table behind syscall_table.h (see
// cmake/GenerateSyscallTable.cmake), sorted by name.
#ifndef BULKHEAD_SANDBOX_SYSCALL_TABLE_ENTRIES_H_
#define BULKHEAD_SANDBOX_SYSCALL_TABLE_ENTRIES_H_

namespace bulkhead::sandbox {

struct SyscallEntry {
  const char* name;
  int number;
};

extern const SyscallEntry kSyscallEntries[];
extern const int kSyscallEntryCount;

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SYSCALL_TABLE_ENTRIES_H_
