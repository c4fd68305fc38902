// Internal to the zygote (Linux): makes each fork hand its child the page-table
// entries of the zygote's code and read-only data, so that a forked helper
// does not fault those pages in again one by one.
//
// Why a child faults on code its parent has mapped: fork copies the page
// tables of a mapping only if the mapping has anonymous pages (an anon_vma);
// for a private file mapping without one (code, read-only data) it leaves them
// out, and the child faults each page in from the page cache on first touch.
// Where a fault is expensive (a virtual machine with paravirtualised page
// tables: 12-15 us each) a forked helper's 50-60 such faults were a fifth of
// its launch (docs/DESIGN.md, "Zygote"; bench/launch_bench).
#ifndef BULKHEAD_HELPER_FORK_MAPPINGS_LINUX_H_
#define BULKHEAD_HELPER_FORK_MAPPINGS_LINUX_H_

#include <cstddef>

#include "absl/status/statusor.h"

namespace bulkhead {

struct ForkMappingsResult {
  // Private, non-writable, readable file mappings found (code, read-only
  // data), and those that each fork now copies.
  size_t mappings = 0;
  size_t prepared = 0;
};

// Gives every private, non-writable, readable file mapping of this process an
// anon_vma, so that each later fork copies the page-table entries of the
// pages present in it: it copies one byte of the mapping's first page onto
// itself under a momentary write permission (the kernel then keeps a private
// copy of that page, and charges the mapping to the commit limit as a
// writable private mapping). Only pages already present are copied: nothing
// is paged in here, so a fork costs more only by what this process has used.
// Contents and final permissions are unchanged; a mapping that refuses to
// become writable (strict overcommit, a security module) is left as it was.
// INTERNAL if one made writable could not be made read-only again: this
// process must then fork no helper (it would inherit writable code).
// Single-threaded callers only (another thread could run the page while it is
// writable, or map over it); call once, before serving forks.
absl::StatusOr<ForkMappingsResult> PrepareMappingsForFork();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_FORK_MAPPINGS_LINUX_H_
