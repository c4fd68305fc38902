// The piece of work the demo sends to each built-in role, and how the answer is
// printed.
#ifndef BULKHEAD_BROWSER_HOST_DEMO_WORK_H_
#define BULKHEAD_BROWSER_HOST_DEMO_WORK_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "host/helper_process.h"

namespace bulkhead {

// Sends `helper` the sample work for its role and calls `done` once with a
// one-line summary of the answer, or the error. NotFound at once for a role
// without sample work.
void SendSampleWork(HelperProcess& helper, absl::Time deadline,
                    absl::AnyInvocable<void(absl::StatusOr<std::string>)> done);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_DEMO_WORK_H_
