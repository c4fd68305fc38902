// Internal to the helper runtime (not installed): runs a role's warm-up
// (HelperContext::SetWarmUp) and checks that it left no thread behind.
#ifndef BULKHEAD_HELPER_WARM_UP_H_
#define BULKHEAD_HELPER_WARM_UP_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bulkhead {

// Runs `warm_up`. Its error, or FAILED_PRECONDITION naming the threads it
// started and did not end (they would keep what the lockdown takes from the
// process, so the lockdown refuses them), prefixed with "warm-up '<name>'".
// Where threads cannot be listed (not Linux) only the warm-up's own status
// counts.
absl::Status RunWarmUp(absl::string_view name,
                       absl::AnyInvocable<absl::Status()>& warm_up);

// "tid 12 'name'" for every thread of this process; Unimplemented where
// threads cannot be listed. Platform code.
absl::StatusOr<std::vector<std::string>> ListThreads();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_WARM_UP_H_
