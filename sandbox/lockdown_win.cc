// Windows: the helper's own last step of its confinement, before it reports
// Ready (Chrome's TargetServices::LowerToken). The host launched it on the
// primary token of its level, at low integrity, in its job, on the alternate
// desktop (host/launch/sandboxed_launcher_win.cc); a lockdown-level helper's
// first thread started on a limited impersonation token so that the loader
// could read its DLLs. Here the helper lowers its integrity to its level's
// (untrusted for lockdown) while its token still lets it adjust its own
// token, and only then drops the impersonation of the calling thread, which
// must be that first thread: a new thread runs on the process's token, so
// none started before keeps more. Handles opened before the drop keep their
// access (Chrome also flushes its registry handle cache and closes some
// start-up handles; not done here).
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sandbox/lockdown.h"
#include "sandbox/windows_confinement.h"
#include "sandbox/windows_sandbox.h"

namespace bulkhead::sandbox {

bool HelperLocksItselfDown() { return true; }

absl::StatusOr<std::vector<LayerOutcome>> LockDown(
    const LockdownRequest& request) {
  if (request.policy.disabled()) return std::vector<LayerOutcome>{};
  // The same mapping as the host's launcher, from the policy the Welcome
  // carried (the host's network answer, the layers); memory is the job's.
  const WindowsConfinement confinement =
      WindowsConfinementFor(request.policy, /*launch_memory_limit_bytes=*/0);
  if (confinement.integrity != WindowsIntegrity::kLow) {
    if (absl::Status lowered = LowerProcessIntegrity(confinement.integrity);
        !lowered.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("integrity level: ", lowered.message()));
    }
  }
  absl::StatusOr<bool> dropped = DropStartupToken();
  if (!dropped.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("start-up token: ", dropped.status().message()));
  }
  // The launcher gave the first thread one at this level: none here means
  // the lockdown runs on another thread, and the first still holds it.
  if (confinement.token == WindowsTokenLevel::kLockdown && !*dropped) {
    return absl::FailedPreconditionError(
        "start-up token: this thread has none to drop; the lockdown must run "
        "on the helper's first thread, which still holds it");
  }
  return std::vector<LayerOutcome>{};
}

}  // namespace bulkhead::sandbox
