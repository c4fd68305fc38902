#include "helper/warm_up.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace bulkhead {

absl::Status RunWarmUp(absl::string_view name,
                       absl::AnyInvocable<absl::Status()>& warm_up) {
  const absl::StatusOr<std::vector<std::string>> before = ListThreads();
  if (absl::Status done = warm_up(); !done.ok()) {
    return absl::Status(
        done.code(),
        absl::StrCat("warm-up '", name, "' failed: ", done.message()));
  }
  if (!before.ok()) return absl::OkStatus();
  // A thread just joined is still listed until the kernel has released it, a
  // little after its joiner woke (as the lockdown's own count allows for):
  // look again for a moment before counting it.
  std::vector<std::string> left;
  const absl::Time deadline = absl::Now() + absl::Milliseconds(200);
  for (;;) {
    absl::StatusOr<std::vector<std::string>> after = ListThreads();
    if (!after.ok()) return absl::OkStatus();
    left.clear();
    for (const std::string& thread : *after) {
      if (std::find(before->begin(), before->end(), thread) == before->end())
        left.push_back(thread);
    }
    if (left.empty() || absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (left.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "warm-up '", name, "' left ", left.size(), " thread(s) running (",
      absl::StrJoin(left, ", "),
      "): a warm-up must end the threads it starts, before the lockdown"));
}

}  // namespace bulkhead
