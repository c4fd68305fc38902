#include "helper/warm_up.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace bulkhead {

namespace {

// What `now` lists that `before` did not.
std::vector<std::string> Added(const std::vector<std::string>& before,
                               const std::vector<std::string>& now) {
  std::vector<std::string> added;
  for (const std::string& entry : now) {
    if (std::find(before.begin(), before.end(), entry) == before.end())
      added.push_back(entry);
  }
  return added;
}

}  // namespace

absl::Status RunWarmUp(absl::string_view name,
                       absl::AnyInvocable<absl::Status()>& warm_up) {
  const absl::StatusOr<std::vector<std::string>> threads_before = ListThreads();
  const absl::StatusOr<std::vector<std::string>> children_before =
      ListChildren();
  if (absl::Status done = warm_up(); !done.ok()) {
    return absl::Status(
        done.code(),
        absl::StrCat("warm-up '", name, "' failed: ", done.message()));
  }
  // A thread just joined is still listed until the kernel has released it, a
  // little after its joiner woke (as the lockdown's own count allows for),
  // and a child just killed until it has died: look again for a moment
  // before counting them.
  std::vector<std::string> threads, children;
  const absl::Time deadline = absl::Now() + absl::Milliseconds(200);
  for (;;) {
    threads.clear();
    children.clear();
    if (threads_before.ok()) {
      if (absl::StatusOr<std::vector<std::string>> now = ListThreads();
          now.ok()) {
        threads = Added(*threads_before, *now);
      }
    }
    if (children_before.ok()) {
      if (absl::StatusOr<std::vector<std::string>> now = ListChildren();
          now.ok()) {
        children = Added(*children_before, *now);
      }
    }
    if ((threads.empty() && children.empty()) || absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!threads.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "warm-up '", name, "' left ", threads.size(), " thread(s) running (",
        absl::StrJoin(threads, ", "),
        "): a warm-up must end the threads it starts, before the lockdown"));
  }
  if (!children.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "warm-up '", name, "' left ", children.size(),
        " child process(es) running (", absl::StrJoin(children, ", "),
        "): a warm-up must end the processes it starts, before the lockdown "
        "(one made before it would run unconfined)"));
  }
  return absl::OkStatus();
}

}  // namespace bulkhead
