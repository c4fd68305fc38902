// What the crash test's files share: a case's host, each fault's expected
// end, the escape fault's targets and verdict, and what the platform cannot
// observe.
#ifndef BULKHEAD_BROWSER_HOST_CRASH_TEST_CRASH_TEST_INTERNAL_H_
#define BULKHEAD_BROWSER_HOST_CRASH_TEST_CRASH_TEST_INTERNAL_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "browser_host/crash_test/crash_test.h"
#include "common/platform_handle.h"
#include "host/exit_info.h"
#include "host/host.h"
#include "host/restart_policy.h"
#include "ipc/proto/envelope.pb.h"
#include "ipc/uv_handle.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {

// The exit code the `exit` fault is given.
inline constexpr int kCrashTestExitCode = 42;

// A case's host: no helper output forwarded, a quick heartbeat, and in `oom`
// cases the victim's memory limit (and a heartbeat patient with a helper
// busy touching memory).
Host::Options CrashCaseHostOptions(const RoleRegistry& roles,
                                   const CrashTestOptions& test,
                                   const std::string& role,
                                   const std::string& fault, bool sandboxed);

// Both roles' restarts: always, after 10 ms, no jitter.
RestartPolicy CrashCaseRestartPolicy();

// How a fault must end its helper.
struct CaseExpectation {
  ExitKind kind = ExitKind::kCrashed;
  int signal = 0;           // kCrashed.
  int64_t exit_code = 0;    // kErrorExit.
  std::string syscall;      // kSandboxViolation.
  std::string description;  // e.g. "crashed (SIGSEGV)", for reports.
  // Non-empty: this platform or build cannot show the expected end; the case
  // is reported SKIPPED with this reason and the fault is not injected.
  std::string skip_reason;
  // The helper survives the fault by design (an unsandboxed fork bomb): the
  // crash test kills it, which must end it as kKilledByHost with its
  // children swept.
  bool kill_after_ack = false;
};

// `fault` is a CrashTestFaults() name other than "escape". `sandboxed`: the
// helpers are launched in the platform's sandbox.
CaseExpectation ExpectationFor(const std::string& fault, bool sandboxed);

// "" when `exit` is what `expected` says; otherwise what differs.
std::string ExitMismatch(const CaseExpectation& expected, const ExitInfo& exit);

// A TCP listener on 127.0.0.1, a listening AF_UNIX socket on the host's
// loop and one on an abstract name (Linux) for the escape fault to aim at,
// closed (and the socket's file removed) on destruction; run the loop once
// after that to free the handles. Best effort: a listener that cannot be made
// (e.g. no AF_UNIX path on Windows) is an empty target, which the escape suite
// reports as an unblocked "SKIPPED" attempt, so a case that needed it fails
// rather than passing unaimed.
// Puts a canary value in this process's environment (once) and returns it:
// the escape fault's "read-environment-canary" must find it in no helper.
const std::string& PlantEnvironmentCanary();

class EscapeListeners {
 public:
  static std::unique_ptr<EscapeListeners> Create(uv_loop_t* loop);
  ~EscapeListeners();
  EscapeListeners(const EscapeListeners&) = delete;
  EscapeListeners& operator=(const EscapeListeners&) = delete;

  // The escape fault's targets: these listeners, this process, `sibling_pid`.
  void FillTargets(int64_t sibling_pid, ipc::EscapeTargets& targets) const;

 private:
  EscapeListeners() = default;
  ipc::UvHandle<uv_tcp_t> tcp_;
  ipc::UvHandle<uv_pipe_t> unix_;  // Closing it removes the socket's file.
  int port_ = 0;
  std::string path_;
  ScopedHandle abstract_;  // Listening, never accepting: connects queue.
  std::string abstract_name_;
};

// The view's targets (EscapeTargets' view_* fields) from the victim's
// filesystem view: its first read-only and read-write directories and first
// tmpfs, as the host's filesystem shows them, and /etc/passwd as the file
// outside the view (unless the view holds it). Nothing when the view has no
// read-only directory: the suite then leaves the view's attempts out.
void FillViewTargets(const std::vector<sandbox::FilesystemEntry>& view,
                     ipc::EscapeTargets& targets);

struct EscapeVerdict {
  int attempts = 0;
  int blocked = 0;
  // Attempts that were not blocked and had to be, "name -> outcome; ...".
  std::string unblocked;
};

// Judges the escape fault's answer for a helper of `role`: every attempt
// must be blocked, except what the role may do by design (the network role's
// sockets) and what the build cannot limit (an address-space limit under a
// sanitizer).
EscapeVerdict JudgeEscape(const std::string& role, const ipc::Fault& answer);

// Adds a lifecycle stage, at `now_ms` since the case began, to its helper's
// span (crash_test_timeline.cc).
void RecordLifecycle(const LifecycleEvent& event, double now_ms,
                     HelperSpan& span);

// A SIGINT arrived during `RunCrashTestCommand`: end the running case.
bool CrashTestInterrupted();

// A listening abstract unix socket named after this process (Linux), its
// name (without the leading NUL) in `name`; invalid, with `name` empty,
// where there are none (crash_test_env_posix.cc / crash_test_env_win.cc).
ScopedHandle ListenOnAbstractSocket(std::string& name);

// Platform facts (crash_test_env_posix.cc / crash_test_env_win.cc).
bool CrashTestUnderWine();
const char* CrashTestPlatformName();

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_CRASH_TEST_CRASH_TEST_INTERNAL_H_
