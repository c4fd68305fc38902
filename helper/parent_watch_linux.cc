#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>

#include "common/os_error.h"
#include "helper/exit_codes.h"
#include "helper/parent_watch.h"

namespace bulkhead {

absl::Status DieWithParent() {
  const pid_t parent = ::getppid();
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
    return LastPosixErrorToStatus("PR_SET_PDEATHSIG");
  // The parent may have died before prctl took effect; then we were reparented
  // already.
  if (::getppid() != parent) std::_Exit(kExitChannelLost);
  return absl::OkStatus();
}

}  // namespace bulkhead
