// Small files the kernel serves (/proc, cgroupfs): written in a single
// write(2), as these interfaces require, and read whole.
#ifndef BULKHEAD_COMMON_KERNEL_FILE_LINUX_H_
#define BULKHEAD_COMMON_KERNEL_FILE_LINUX_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead {

// Writes `text` to `path` in one write; an error names the path.
BULKHEAD_EXPORT absl::Status WriteKernelFile(const std::string& path,
                                             absl::string_view text);

// The whole file, or "" when it cannot be opened or a read fails (never an
// exception: a /proc file whose process ends mid-read fails with ESRCH).
BULKHEAD_EXPORT std::string ReadKernelFile(const std::string& path);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_KERNEL_FILE_LINUX_H_
