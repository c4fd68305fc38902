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

// Runs `warm_up`. Its error, or FAILED_PRECONDITION naming the threads and
// the child processes it started and did not end (they would keep what the
// lockdown takes from the process: a thread, so the lockdown refuses them; a
// process made before the lockdown keeps the host's root, its capabilities,
// no seccomp filter and the channel), prefixed with "warm-up '<name>'".
// Where threads or children cannot be listed (not Linux) only the warm-up's
// own status counts; a zombie child counts as ended.
absl::Status RunWarmUp(absl::string_view name,
                       absl::AnyInvocable<absl::Status()>& warm_up);

// "tid 12 'name'" for every thread of this process; Unimplemented where
// threads cannot be listed. Platform code.
absl::StatusOr<std::vector<std::string>> ListThreads();

// "pid 12 'name'" for every living child process of this process (adopted
// ones included); Unimplemented where they cannot be listed. Platform code.
absl::StatusOr<std::vector<std::string>> ListChildren();

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_WARM_UP_H_
