// The adversarial cases: which role misbehaves how, what the host must then
// report (the exact ExitInfo, sandboxed and not), and the cases known to fail
// today, each with the issue item that will fix it.
#ifndef BULKHEAD_TESTS_ADVERSARIAL_ADVERSARIAL_CASES_H_
#define BULKHEAD_TESTS_ADVERSARIAL_ADVERSARIAL_CASES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bulkhead/host.h"

namespace adversarial {

enum class Mode { kUnsandboxed, kSandboxed };
const char* ModeName(Mode mode);

// How the driver sets the helper off, once it is ready.
enum class Trigger {
  // One call with `arg`; the helper then ends by itself (or the host ends it).
  kCall,
  // A call with `arg`, then a follow-up call with `follow_up_arg` that must
  // succeed, then HelperProcess::Stop.
  kCallThenStop,
  // A call with `arg`; HelperProcess::Stop from that call's completion (what
  // examples/minimal_app does with Host::Shutdown).
  kStopFromCallCompletion,
  // A call with `arg` that must succeed, then HelperProcess::Stop; the role
  // misbehaves on its way out.
  kStop,
};

// What the call with `arg` must end with.
enum class CallOutcome { kAny, kOk, kFails, kDeadlineExceeded };

struct Expected {
  bulkhead::ExitKind kind = bulkhead::ExitKind::kNormalExit;
  int signal = 0;
  int64_t exit_code = 0;
  // Substrings of ExitInfo::detail, ExitInfo::Describe() and
  // ExitInfo::syscall; empty: not checked.
  std::string detail;
  std::string describe;
  std::string syscall;
  CallOutcome call = CallOutcome::kAny;
  // With kOk: the reply must start with this.
  std::string reply_prefix;
  // The launch fails (the helper ends before Ready): no call is made.
  bool never_ready = false;
};

struct Case {
  std::string name;
  std::string role;
  std::string arg;
  Trigger trigger = Trigger::kCall;
  Expected unsandboxed;
  Expected sandboxed;
  // The follow-up call of kCallThenStop: must succeed (or, when
  // `follow_up_may_be_exhausted`, fail with RESOURCE_EXHAUSTED).
  std::string follow_up_arg = "ping";
  bool follow_up_may_be_exhausted = false;
  uint64_t memory_limit_bytes = 0;
  // The first call's deadline.
  absl::Duration call_timeout = absl::Seconds(5);
  // A fast heartbeat, for the cases that end as hung.
  bool fast_heartbeat = false;

  const Expected& expected(Mode mode) const {
    return mode == Mode::kSandboxed ? sandboxed : unsandboxed;
  }
};

// Every case, in the order run.
std::vector<Case> AllCases();

// Why a case is known to fail today: the issue item whose fix makes it pass.
struct KnownFailureNote {
  std::string why;
  // It fails by timing, not every run: an XPASS is no sign of a fix.
  bool sometimes_passes = false;
};

// The cases known to fail today, by "<case>/<mode>". A case listed here that
// fails is reported as XFAIL and does not fail the run; one that passes is
// reported as XPASS: take it off the list (unless it only sometimes fails).
std::optional<KnownFailureNote> KnownFailure(const std::string& case_name,
                                             Mode mode);

// What is wrong with `exit` against `expected`; empty when it matches.
std::vector<std::string> CompareExit(const bulkhead::ExitInfo& exit,
                                     const Expected& expected);

}  // namespace adversarial

#endif  // BULKHEAD_TESTS_ADVERSARIAL_ADVERSARIAL_CASES_H_
