#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "helper/diagnostics/fault_injection.h"

namespace bulkhead {

absl::Status StartForkBomb(int max_children) {
  for (int i = 0; i < max_children; ++i) {
    const pid_t child = ::fork();
    if (child < 0) {
      return i > 0 ? absl::OkStatus() : LastPosixErrorToStatus("fork");
    }
    if (child == 0) {
      // A bounded bomb: each child stays alive, holding its slot, until it is
      // killed. Only async-signal-safe calls after fork.
      for (;;) ::pause();
    }
  }
  return absl::OkStatus();
}

}  // namespace bulkhead
