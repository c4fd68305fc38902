#include "host/fd_budget.h"

namespace bulkhead {

// Windows has no limit on a process's handles that a host of helpers reaches.
FdBudget FdBudget::AtHostStart(bool) { return FdBudget(0, 0, 0); }

}  // namespace bulkhead
