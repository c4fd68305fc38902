#include "helper/fork_mappings_linux.h"

#include <sys/mman.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/kernel_file_linux.h"
#include "common/os_error.h"

namespace bulkhead {
namespace {

struct Mapping {
  uintptr_t start = 0;
  uintptr_t end = 0;
  int prot = 0;
};

// The private, non-writable, readable file mappings of /proc/self/maps, read
// whole before any is changed.
std::vector<Mapping> ReadOnlyFileMappings() {
  std::vector<Mapping> found;
  const std::string maps = ReadKernelFile("/proc/self/maps");
  for (absl::string_view line : absl::StrSplit(maps, '\n', absl::SkipEmpty())) {
    // start-end perms offset dev inode path
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 6 || fields[5][0] != '/') continue;  // Anonymous.
    const absl::string_view perms = fields[1];
    if (perms.size() != 4 || perms[0] != 'r' || perms[1] == 'w' ||
        perms[3] != 'p') {
      continue;
    }
    const std::vector<absl::string_view> range = absl::StrSplit(fields[0], '-');
    Mapping mapping;
    if (range.size() != 2 || !absl::SimpleHexAtoi(range[0], &mapping.start) ||
        !absl::SimpleHexAtoi(range[1], &mapping.end) ||
        mapping.end <= mapping.start) {
      continue;
    }
    mapping.prot = PROT_READ | (perms[2] == 'x' ? PROT_EXEC : 0);
    found.push_back(mapping);
  }
  return found;
}

}  // namespace

absl::StatusOr<ForkMappingsResult> PrepareMappingsForFork() {
  ForkMappingsResult result;
  for (const Mapping& mapping : ReadOnlyFileMappings()) {
    ++result.mappings;
    void* const start = reinterpret_cast<void*>(mapping.start);
    const size_t length = mapping.end - mapping.start;
    // The whole mapping, not its first page alone: the kernel keeps the
    // charge of a private mapping once made writable (VM_ACCOUNT), so a page
    // changed alone would stay split off with the anon_vma, and the rest
    // without. Executable still while writable: it may hold this code.
    if (::mprotect(start, length, mapping.prot | PROT_WRITE) != 0) continue;
    volatile unsigned char* const first =
        reinterpret_cast<volatile unsigned char*>(mapping.start);
    *first = *first;
    if (::mprotect(start, length, mapping.prot) != 0) {
      return absl::InternalError(
          LastPosixErrorToStatus(
              absl::StrCat("mprotect: making the mapping at 0x",
                           absl::Hex(mapping.start), " read-only again"))
              .message());
    }
    ++result.prepared;
  }
  return result;
}

}  // namespace bulkhead
