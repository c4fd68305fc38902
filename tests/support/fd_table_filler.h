// Puts this process at its descriptor limit, for tests of what happens when
// no descriptor can be had: lowers the soft RLIMIT_NOFILE to just above the
// highest fd open and fills every free slot below it with duplicates, so
// that the next fd anyone asks for (an open, a memfd, an fd received with
// SCM_RIGHTS) fails with EMFILE. The destructor closes the duplicates and
// puts the limit back. POSIX only (tests/support/test_roles_linux.cc, the
// Linux host tests).
#ifndef BULKHEAD_TESTS_SUPPORT_FD_TABLE_FILLER_H_
#define BULKHEAD_TESTS_SUPPORT_FD_TABLE_FILLER_H_

#include <sys/resource.h>

#include <vector>

#include "absl/status/status.h"

namespace bulkhead::testing {

class FdTableFiller {
 public:
  FdTableFiller() = default;
  ~FdTableFiller();
  FdTableFiller(const FdTableFiller&) = delete;
  FdTableFiller& operator=(const FdTableFiller&) = delete;

  // Fills the table; the OS error when the limit cannot be read or set.
  absl::Status Fill();
  // Duplicates made to fill it.
  size_t filled() const { return fillers_.size(); }
  // Closes the duplicates and restores the limit (the destructor's work).
  void Release();

 private:
  std::vector<int> fillers_;
  rlimit saved_ = {};
  bool lowered_ = false;
};

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_FD_TABLE_FILLER_H_
