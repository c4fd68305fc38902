// A helper's own memory limit, and its allocation-failure path: when an
// allocation fails the helper exits at once with kExitOutOfMemory, which the
// host reports as out-of-memory (as Chrome's OOM handler does).
#ifndef BULKHEAD_HELPER_MEMORY_LIMIT_H_
#define BULKHEAD_HELPER_MEMORY_LIMIT_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"

namespace bulkhead {

// Caps this process's memory at `bytes` (RLIMIT_AS on POSIX, a job object on
// Windows). In an ASan or TSan build on POSIX it does nothing: their shadow
// memory takes terabytes of address space (common/compiler.h).
absl::Status ApplyMemoryLimit(uint64_t bytes);

// The limit in force, if any.
std::optional<uint64_t> CurrentMemoryLimit();

// Makes a failed operator new end the process with kExitOutOfMemory.
void InstallOutOfMemoryHandler();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_MEMORY_LIMIT_H_
