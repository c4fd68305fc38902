// System call names and numbers for the architecture this was built for, read
// from the compiler's <sys/syscall.h> at configure time. Empty elsewhere than
// Linux.
#ifndef BULKHEAD_SANDBOX_SYSCALL_TABLE_H_
#define BULKHEAD_SANDBOX_SYSCALL_TABLE_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead::sandbox {

// False where there is no table (not Linux): policies are not checked there.
BULKHEAD_EXPORT bool SyscallTableAvailable();

BULKHEAD_EXPORT std::optional<int> SyscallNumber(absl::string_view name);

// "mount", or "syscall 1234" for a number the table does not have.
BULKHEAD_EXPORT std::string SyscallName(int number);

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_SYSCALL_TABLE_H_
