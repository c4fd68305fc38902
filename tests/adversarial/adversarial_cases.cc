#include "adversarial_cases.h"

#include <csignal>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace adversarial {
namespace {

using bulkhead::ExitKind;

Expected Crashed(int signal, std::string describe = "") {
  Expected expected;
  expected.kind = ExitKind::kCrashed;
  expected.signal = signal;
  expected.describe = std::move(describe);
  expected.call = CallOutcome::kFails;
  return expected;
}

Expected ErrorExit(int64_t code) {
  Expected expected;
  expected.kind = ExitKind::kErrorExit;
  expected.exit_code = code;
  expected.describe = absl::StrCat("error-exit (code ", code, ")");
  expected.call = CallOutcome::kFails;
  return expected;
}

Expected Kind(ExitKind kind, int signal, int64_t exit_code) {
  Expected expected;
  expected.kind = kind;
  expected.signal = signal;
  expected.exit_code = exit_code;
  return expected;
}

// A helper that survived its misbehaviour and was stopped by the driver.
Expected StoppedCleanly(CallOutcome call, std::string reply_prefix = "") {
  Expected expected = Kind(ExitKind::kStoppedByHost, 0, 0);
  expected.detail = "adversarial test";
  expected.call = call;
  expected.reply_prefix = std::move(reply_prefix);
  return expected;
}

Case Same(std::string name, std::string role, std::string arg,
          Expected expected) {
  Case c;
  c.name = std::move(name);
  c.role = std::move(role);
  c.arg = std::move(arg);
  c.unsandboxed = expected;
  c.sandboxed = std::move(expected);
  return c;
}

Case RaiseCase(const char* name, int signal, const char* signal_name) {
  return Same(name, "raise-signal", std::to_string(signal),
              Crashed(signal, absl::StrCat("crashed (signal ", signal, " ",
                                           signal_name, ")")));
}

Case ExitCodeCase(int code) {
  return Same(absl::StrCat("exit-", code), "exit-code", std::to_string(code),
              ErrorExit(code));
}

}  // namespace

const char* ModeName(Mode mode) {
  return mode == Mode::kSandboxed ? "sandboxed" : "unsandboxed";
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  // Signals it raises on itself: a crash with that signal, whatever the
  // signal usually stands for (the host sent none and set no CPU limit).
  // The one exception: SIGSYS in a sandboxed helper, whose seccomp filter the
  // host installed, is a sandbox violation; the host cannot tell a raise from
  // the filter's trap there (DESIGN, ExitInfo).
  cases.push_back(RaiseCase("raise-sigterm", SIGTERM, "SIGTERM"));
  cases.push_back(RaiseCase("raise-sigkill", SIGKILL, "SIGKILL"));
  cases.push_back(RaiseCase("raise-sigpipe", SIGPIPE, "SIGPIPE"));
  {
    Case c = RaiseCase("raise-sigsys", SIGSYS, "SIGSYS");
    c.sandboxed = Kind(ExitKind::kSandboxViolation, SIGSYS, 0);
    c.sandboxed.describe = "sandbox-violation";
    c.sandboxed.call = c.unsandboxed.call;
    cases.push_back(std::move(c));
  }
  cases.push_back(RaiseCase("raise-sigxcpu", SIGXCPU, "SIGXCPU"));

  // Exit codes, the reserved ones (helper/exit_codes.h) included, from inside
  // a call: an error exit with that code unless the host can corroborate
  // more (83 with a memory limit set is out-of-memory; a sandboxed helper
  // always has one, its address-space cap).
  for (int code : {2, 80, 81, 82, 83, 84, 85}) {
    Case c = ExitCodeCase(code);
    if (code == 83) {
      c.sandboxed = Kind(ExitKind::kOutOfMemory, 0, 83);
      c.sandboxed.call = CallOutcome::kFails;
    }
    cases.push_back(std::move(c));
  }
  {
    Case c = Same("exit-83-with-memory-limit", "exit-code", "83",
                  Kind(ExitKind::kOutOfMemory, 0, 83));
    c.unsandboxed.call = c.sandboxed.call = CallOutcome::kFails;
    c.memory_limit_bytes = uint64_t{1} << 30;
    cases.push_back(std::move(c));
  }
  {
    Expected normal = Kind(ExitKind::kNormalExit, 0, 0);
    normal.call = CallOutcome::kFails;
    cases.push_back(Same("exit-0-in-call", "exit-code", "0", normal));
  }

  // Threads.
  {
    Case c = Same("abort-in-thread", "abort-in-thread", "go",
                  Crashed(SIGABRT, "crashed (signal 6 SIGABRT"));
    c.unsandboxed.call = c.sandboxed.call = CallOutcome::kAny;
    cases.push_back(std::move(c));
  }
  cases.push_back(Same("segv-in-thread-main-blocked", "segv-in-thread", "go",
                       Crashed(SIGSEGV, "crashed (signal 11 SIGSEGV")));
  cases.push_back(Same("exit-from-thread-main-blocked", "exit-from-thread",
                       "go", ErrorExit(7)));

  // Stuck without a busy loop: the heartbeat must see it.
  {
    Expected hung = Kind(ExitKind::kHung, SIGKILL, 0);
    hung.call = CallOutcome::kFails;
    Case c =
        Same("sleep-in-signal-handler", "sleep-in-signal-handler", "go", hung);
    c.fast_heartbeat = true;
    cases.push_back(c);
    c = Same("sigstop-self", "stop-self", "go", hung);
    c.fast_heartbeat = true;
    cases.push_back(std::move(c));
  }

  // Its channel's descriptor closed while the helper lives on: the host
  // stops it, then kills it, as it documents.
  {
    Expected killed = Kind(ExitKind::kKilledByHost, SIGTERM, 0);
    killed.detail = "closed its channel without exiting";
    killed.call = CallOutcome::kFails;
    // With a heartbeat faster than the stop's grace: a helper on its way out
    // owes no Beat, and is not convicted as hung for sending none.
    Case c = Same("close-channel-fd", "close-channel", "go", killed);
    c.fast_heartbeat = true;
    cases.push_back(std::move(c));
  }
  // Another file put in its place: the helper's own runtime finds its
  // channel broken (the reply cannot be written) and exits 81 by itself.
  cases.push_back(
      Same("dup2-over-channel-fd", "dup2-over-channel", "go", ErrorExit(81)));

  // Output: megabytes without a newline, NULs, invalid UTF-8, escapes.
  {
    Case c = Same("flood-output-no-newline", "flood-output", "go",
                  StoppedCleanly(CallOutcome::kOk, "flooded"));
    c.trigger = Trigger::kCallThenStop;
    cases.push_back(std::move(c));
  }

  // Its crash pipe: a forged record is not a crash. The kind, signal, stack
  // and refused system call come from how it really ended.
  cases.push_back(
      Same("forged-segv-record-then-exit-0", "forge-segv-record", "go", [] {
        Expected normal = Kind(ExitKind::kNormalExit, 0, 0);
        normal.call = CallOutcome::kFails;
        return normal;
      }()));
  cases.push_back(Same("forged-sigsys-record-then-exit-3",
                       "forge-sigsys-record", "go", ErrorExit(3)));
  // Its stdout and stderr closed before it crashes.
  cases.push_back(Same("close-stdio-then-crash", "close-stdio-then-crash", "go",
                       Crashed(SIGSEGV, "crashed (signal 11 SIGSEGV")));

  // Process trees: none of it may outlive the helper. Sandboxed, a child
  // started before the lockdown would escape it (the host's root, every
  // capability, no filter): the helper refuses to lock down, and its launch
  // fails.
  {
    // 85: kExitSandboxFailed (helper/exit_codes.h).
    Expected refused = Kind(ExitKind::kLaunchFailed, 0, 85);
    refused.never_ready = true;
    Case c =
        Same("setsid-child-before-ready", "setsid-child", "go", ErrorExit(4));
    c.sandboxed = refused;
    cases.push_back(std::move(c));
    c = Same("double-fork-daemon-before-ready", "double-fork-daemon", "go",
             ErrorExit(5));
    c.sandboxed = refused;
    cases.push_back(std::move(c));
    c = Same("fork-bomb-before-ready", "fork-bomb", "go", ErrorExit(6));
    c.sandboxed = refused;
    cases.push_back(std::move(c));
  }
  {
    Case c = Same("setsid-child-after-ready", "fork-after-lockdown", "go",
                  ErrorExit(8));
    // Sandboxed, the fork itself is outside the allowlist.
    c.sandboxed = Kind(ExitKind::kSandboxViolation, SIGSYS, 0);
    c.sandboxed.syscall = "clone";
    c.sandboxed.call = CallOutcome::kFails;
    cases.push_back(std::move(c));
  }

  // Memory and descriptors: exhausted, and the helper copes and serves on.
  {
    Case c = Same("malloc-until-null", "malloc-until-null", "go",
                  StoppedCleanly(CallOutcome::kOk, "exhausted"));
    c.trigger = Trigger::kCallThenStop;
    c.memory_limit_bytes = uint64_t{256} << 20;
    cases.push_back(std::move(c));
  }
  {
    Case c = Same("leak-fds-until-emfile", "leak-fds", "leak",
                  StoppedCleanly(CallOutcome::kOk, "leaked "));
    c.trigger = Trigger::kCallThenStop;
    // Over the shared-memory threshold: the host must not kill a helper
    // because it has no descriptor left to take the region with.
    c.follow_up_arg = std::string(1 << 20, 'b');
    c.follow_up_may_be_exhausted = true;
    cases.push_back(std::move(c));
  }

  // Calls: a reply after the caller gave up is dropped, not a violation.
  {
    Case c = Same("reply-after-deadline", "reply-after-deadline", "late",
                  StoppedCleanly(CallOutcome::kDeadlineExceeded));
    c.trigger = Trigger::kCallThenStop;
    c.call_timeout = absl::Milliseconds(150);
    cases.push_back(std::move(c));
  }

  // Races with being stopped.
  {
    Case c = Same("crash-on-shutdown", "crash-on-shutdown", "hello",
                  Crashed(SIGSEGV, "crashed (signal 11 SIGSEGV"));
    c.trigger = Trigger::kStop;
    c.unsandboxed.call = c.sandboxed.call = CallOutcome::kOk;
    cases.push_back(c);

    c = Same("exit-9-on-shutdown", "exit-nonzero-on-shutdown", "hello",
             ErrorExit(9));
    c.trigger = Trigger::kStop;
    c.unsandboxed.call = c.sandboxed.call = CallOutcome::kOk;
    cases.push_back(c);

    c = Same("ignore-shutdown-and-sigterm", "ignore-shutdown", "hello",
             StoppedCleanly(CallOutcome::kOk, "hello"));
    c.unsandboxed.signal = c.sandboxed.signal = SIGKILL;
    c.trigger = Trigger::kStop;
    cases.push_back(c);

    c = Same("segv-then-stop-from-call-completion", "segv-in-call", "go",
             Crashed(SIGSEGV, "crashed (signal 11 SIGSEGV"));
    c.trigger = Trigger::kStopFromCallCompletion;
    cases.push_back(std::move(c));
  }
  return cases;
}

#if !defined(_WIN32) && (!defined(__linux__) || defined(BULKHEAD_GENERIC_POSIX))
// (An app built against the package: BULKHEAD_GENERIC_POSIX comes with it,
// common/platform.h does not.)
constexpr char kNoContainment[] =
    "no descendant containment on this platform: an unsandboxed helper's "
    "setsid child outlives it (Linux has a cgroup and a subreaper sweep)";
#endif

std::optional<KnownFailureNote> KnownFailure(const std::string& case_name,
                                             Mode mode) {
  // Keep this the one list of known failures: the driver prints each as
  // XFAIL with its reason, and XPASS once its fix has landed.
  static const auto* const kKnownFailures =
      new std::map<std::string, KnownFailureNote> {
#if !defined(_WIN32) && (!defined(__linux__) || defined(BULKHEAD_GENERIC_POSIX))
    // Not a fix to come: a limit of the platform, written down in
    // docs/platforms.md. POSIX has no way to find, let alone kill, a
    // process that left its parent's session and was reparented.
    {"setsid-child-before-ready/unsandboxed", {kNoContainment}},
        {"double-fork-daemon-before-ready/unsandboxed", {kNoContainment}},
        {"setsid-child-after-ready/unsandboxed", {kNoContainment}},
#endif
  };
  auto it = kKnownFailures->find(absl::StrCat(case_name, "/", ModeName(mode)));
  if (it == kKnownFailures->end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> CompareExit(const bulkhead::ExitInfo& exit,
                                     const Expected& expected) {
  std::vector<std::string> wrong;
  if (exit.kind != expected.kind) {
    wrong.push_back(absl::StrCat("kind ", bulkhead::ExitKindName(exit.kind),
                                 ", expected ",
                                 bulkhead::ExitKindName(expected.kind)));
  }
  if (exit.signal != expected.signal) {
    wrong.push_back(
        absl::StrCat("signal ", exit.signal, ", expected ", expected.signal));
  }
  if (exit.exit_code != expected.exit_code) {
    wrong.push_back(absl::StrCat("exit code ", exit.exit_code, ", expected ",
                                 expected.exit_code));
  }
  if (!absl::StrContains(exit.detail, expected.detail)) {
    wrong.push_back(absl::StrCat("detail \"", exit.detail, "\" lacks \"",
                                 expected.detail, "\""));
  }
  const std::string described = exit.Describe();
  if (!absl::StrContains(described, expected.describe)) {
    wrong.push_back(absl::StrCat("Describe() \"", described, "\" lacks \"",
                                 expected.describe, "\""));
  }
  if (!absl::StrContains(exit.syscall, expected.syscall)) {
    wrong.push_back(absl::StrCat("syscall \"", exit.syscall, "\" lacks \"",
                                 expected.syscall, "\""));
  }
  // Only a crash (a seccomp trap is one) has a stack, only a seccomp trap a
  // refused system call.
  if (exit.kind != ExitKind::kCrashed &&
      exit.kind != ExitKind::kSandboxViolation && !exit.stack_trace.empty()) {
    wrong.push_back(absl::StrCat("a stack trace of ", exit.stack_trace.size(),
                                 " frames on a ",
                                 bulkhead::ExitKindName(exit.kind)));
  }
  if (exit.kind != ExitKind::kSandboxViolation && !exit.syscall.empty()) {
    wrong.push_back(absl::StrCat("syscall \"", exit.syscall, "\" on a ",
                                 bulkhead::ExitKindName(exit.kind)));
  }
  size_t stderr_bytes = 0;
  for (const std::string& line : exit.last_stderr_lines) {
    stderr_bytes += line.size();
  }
  // The host keeps a bounded tail of stderr whatever the helper wrote.
  if (stderr_bytes > 128 * 1024) {
    wrong.push_back(absl::StrCat("last_stderr_lines hold ", stderr_bytes,
                                 " bytes (unbounded?)"));
  }
  return wrong;
}

}  // namespace adversarial
