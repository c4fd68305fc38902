// A crash-test case's timeline: each helper's lifecycle as a span.
#include "absl/strings/str_cat.h"
#include "browser_host/crash_test/crash_test.h"
#include "browser_host/crash_test/crash_test_internal.h"

namespace bulkhead {

void RecordLifecycle(const LifecycleEvent& event, double now_ms,
                     HelperSpan& span) {
  switch (event.stage) {
    case LifecycleStage::kLaunching:
    case LifecycleStage::kStarted:
      if (span.name.empty()) {
        span.name = absl::StrCat(event.role, "-", event.helper_id);
        span.role = event.role;
        span.started_ms = now_ms;
      }
      break;
    case LifecycleStage::kReady:
      span.ready_ms = now_ms;
      break;
    case LifecycleStage::kExiting:
      break;
    case LifecycleStage::kExited:
      span.exited_ms = now_ms;
      if (event.exit != nullptr) span.exit = event.exit->Describe();
      break;
  }
}

}  // namespace bulkhead
