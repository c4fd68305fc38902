#include <uv.h>

#include <csignal>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/exit_classification.h"
#include "ipc/proto/envelope.pb.h"
#include "sandbox/lockdown.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"

#ifndef _WIN32
#include <signal.h>
#include <sys/types.h>
#endif

namespace bulkhead {
namespace {

ProcessEnd Exited(int64_t code) {
  ProcessEnd end;
  end.exit_status = code;
  return end;
}

ProcessEnd Signalled(int signal, bool core_dumped = false) {
  ProcessEnd end;
  end.term_signal = signal;
  end.core_dumped = core_dumped;
  return end;
}

// What the host knows of a helper that reported Ready: `action`, and the
// signals that reached it while it ran.
ExitEvidence Ready(HostAction action = HostAction::kNone,
                   const std::vector<int>& sent = {}) {
  ExitEvidence evidence;
  evidence.action = action;
  evidence.ready = true;
  for (int signal : sent) evidence.AddHostSignal(signal);
  return evidence;
}

TEST(ClassifyExitTest, ExitZeroIsNormal) {
  ExitInfo info = ClassifyExit(Exited(0), Ready());
  EXPECT_EQ(info.kind, ExitKind::kNormalExit);
  EXPECT_EQ(info.exit_code, 0);
  EXPECT_EQ(info.signal, 0);
  EXPECT_EQ(info.Describe(), "normal-exit");
}

TEST(ClassifyExitTest, ExitZeroBeforeReadyIsALaunchFailure) {
  ExitEvidence starting;
  ExitInfo info = ClassifyExit(Exited(0), starting);
  EXPECT_EQ(info.kind, ExitKind::kLaunchFailed);
  EXPECT_THAT(info.Describe(), ::testing::HasSubstr("before it was ready"));
  // Asked to stop before it was ready, it did as told.
  starting.action = HostAction::kShutdownRequested;
  EXPECT_EQ(ClassifyExit(Exited(0), starting).kind, ExitKind::kHostShutdown);
}

TEST(ClassifyExitTest, NonZeroExitIsErrorExit) {
  ExitInfo info = ClassifyExit(Exited(3), Ready());
  EXPECT_EQ(info.kind, ExitKind::kErrorExit);
  EXPECT_EQ(info.exit_code, 3);
  EXPECT_TRUE(absl::StrContains(info.Describe(), "error-exit"))
      << info.Describe();
  EXPECT_TRUE(absl::StrContains(info.Describe(), "code 3")) << info.Describe();
}

TEST(ClassifyExitTest, SignalNotSentByHostIsCrash) {
  ExitInfo info =
      ClassifyExit(Signalled(SIGSEGV, /*core_dumped=*/true), Ready());
  EXPECT_EQ(info.kind, ExitKind::kCrashed);
  EXPECT_EQ(info.signal, SIGSEGV);
  EXPECT_TRUE(info.core_dumped);
  const std::string text = info.Describe();
  EXPECT_TRUE(absl::StartsWith(text, "crashed")) << text;
  EXPECT_TRUE(absl::StrContains(text, "signal 11")) << text;
  EXPECT_TRUE(absl::StrContains(text, "SIGSEGV")) << text;
  EXPECT_TRUE(absl::StrContains(text, "core dumped")) << text;
}

TEST(ClassifyExitTest, CrashDescriptionNamesCommonSignals) {
  // The signals every platform has (uv.h defines SIGKILL on Windows).
  for (int signal : {SIGABRT, SIGFPE, SIGILL, SIGKILL, SIGTERM}) {
    ExitInfo info = ClassifyExit(Signalled(signal), Ready());
    EXPECT_EQ(info.kind, ExitKind::kCrashed) << signal;
    const std::string text = info.Describe();
    EXPECT_TRUE(absl::StrContains(
        text, std::string("signal ") + std::to_string(signal)))
        << text;
    EXPECT_FALSE(absl::StrContains(text, "core dumped")) << text;
    // A named signal, not the generic fallback.
    EXPECT_TRUE(absl::StrContains(text, " SIG")) << text;
  }
}

TEST(ExitInfoTest, DescribeShowsANumberThatNamesNoSignalAsItIs) {
  ExitInfo info;
  info.kind = ExitKind::kCrashed;
  info.signal = 99;
  EXPECT_EQ(info.Describe(), "crashed (signal 99)");
#if defined(SIGRTMIN)
  info.signal = SIGRTMIN + 3;
  EXPECT_EQ(info.Describe(),
            absl::StrCat("crashed (signal ", SIGRTMIN + 3, " SIGRTMIN+3)"));
#endif
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
// Every signal below the real-time ones, named as the C library names it
// (SIGPIPE, SIGUSR1, SIGHUP, ..., not only the usual crash signals).
TEST(ExitInfoTest, DescribeNamesEveryStandardSignal) {
  for (int signal = 1; signal < SIGRTMIN; ++signal) {
    const char* abbreviation = sigabbrev_np(signal);
    if (abbreviation == nullptr) continue;  // Reserved by the C library.
    ExitInfo info;
    info.kind = ExitKind::kCrashed;
    info.signal = signal;
    EXPECT_EQ(info.Describe(), absl::StrCat("crashed (signal ", signal, " SIG",
                                            abbreviation, ")"));
  }
}
#endif

struct ActionCase {
  HostAction action;
  ExitKind kind;
  const char* name;
};

constexpr ActionCase kKillActions[] = {
    {HostAction::kKillRequested, ExitKind::kKilledByHost, "killed-by-host"},
    {HostAction::kKilledAsHung, ExitKind::kHung, "hung"},
    {HostAction::kKilledAsBadMessage, ExitKind::kBadMessage, "bad-message"},
    {HostAction::kKilledAtDeadline, ExitKind::kDeadlineKilled,
     "deadline-killed"},
};

TEST(ClassifyExitTest, HostActionNamesTheEndItsSignalCaused) {
  for (const ActionCase& c : kKillActions) {
    ExitInfo killed =
        ClassifyExit(Signalled(SIGKILL), Ready(c.action, {SIGKILL}));
    EXPECT_EQ(killed.kind, c.kind) << c.name;
    EXPECT_EQ(killed.signal, SIGKILL) << c.name;
    EXPECT_TRUE(absl::StartsWith(killed.Describe(), c.name))
        << killed.Describe();
  }
}

// The helper beat the kill to it, by exiting or crashing on its own, or the
// host's signal found it already dead: the report says what it did.
TEST(ClassifyExitTest, HostActionDoesNotHideWhatTheHelperDidFirst) {
  for (const ActionCase& c : kKillActions) {
    EXPECT_EQ(ClassifyExit(Exited(0), Ready(c.action)).kind,
              ExitKind::kNormalExit)
        << c.name;
    EXPECT_EQ(ClassifyExit(Exited(7), Ready(c.action)).kind,
              ExitKind::kErrorExit)
        << c.name;
    const ExitInfo crashed =
        ClassifyExit(Signalled(SIGSEGV), Ready(c.action, {SIGKILL}));
    EXPECT_EQ(crashed.kind, ExitKind::kCrashed) << c.name;
    EXPECT_EQ(crashed.signal, SIGSEGV) << c.name;
    // A SIGKILL from someone else; the host's found it dead, so it is not
    // in the record.
    EXPECT_EQ(ClassifyExit(Signalled(SIGKILL), Ready(c.action)).kind,
              ExitKind::kCrashed)
        << c.name;
  }
}

// The host closed the channel to kill it, and the helper left on seeing that
// (exit 81, the channel was lost) before the SIGKILL landed: the kill ended
// it. Without that close, 81 is an exit code like any other.
TEST(ClassifyExitTest, LeavingWhenTheHostsKillClosedTheChannelIsTheKill) {
  for (const ActionCase& c : kKillActions) {
    ExitEvidence closed = Ready(c.action, {SIGKILL});
    closed.host_closed_channel = true;
    EXPECT_EQ(ClassifyExit(Exited(81), closed).kind, c.kind) << c.name;
    EXPECT_EQ(ClassifyExit(Exited(7), closed).kind, ExitKind::kErrorExit)
        << c.name;
    EXPECT_EQ(ClassifyExit(Exited(81), Ready(c.action)).kind,
              ExitKind::kErrorExit)
        << c.name;
  }
}

TEST(ClassifyExitTest, ShutdownRequestedAndExitZeroIsHostShutdown) {
  ExitInfo info =
      ClassifyExit(Exited(0), Ready(HostAction::kShutdownRequested));
  EXPECT_EQ(info.kind, ExitKind::kHostShutdown);
  EXPECT_EQ(info.Describe(), "host-shutdown");
}

TEST(ClassifyExitTest, ShutdownRequestedAndHostKillIsHostShutdown) {
  // The helper ignored the request and was killed at the end of the grace
  // period.
  ExitInfo info = ClassifyExit(
      Signalled(SIGKILL), Ready(HostAction::kShutdownRequested, {SIGKILL}));
  EXPECT_EQ(info.kind, ExitKind::kHostShutdown);
  EXPECT_EQ(info.signal, SIGKILL);
  ExitInfo terminated = ClassifyExit(
      Signalled(SIGTERM), Ready(HostAction::kShutdownRequested, {SIGTERM}));
  EXPECT_EQ(terminated.kind, ExitKind::kHostShutdown);
}

// What examples/minimal_app met: the shutdown's SIGTERM reached a helper that
// had crashed already; the wait status holds the crash.
TEST(ClassifyExitTest, ShutdownRequestedButSelfCrashIsCrash) {
  const std::vector<std::vector<int>> sent_signals = {
      {}, {SIGTERM}, {SIGTERM, SIGKILL}};
  for (const std::vector<int>& sent : sent_signals) {
    ExitInfo info = ClassifyExit(Signalled(SIGSEGV),
                                 Ready(HostAction::kShutdownRequested, sent));
    EXPECT_EQ(info.kind, ExitKind::kCrashed);
    EXPECT_EQ(info.signal, SIGSEGV);
    EXPECT_TRUE(absl::StrContains(info.Describe(), "SIGSEGV"))
        << info.Describe();
  }
}

TEST(ClassifyExitTest, ShutdownRequestedButErrorExitIsErrorExit) {
  ExitInfo info =
      ClassifyExit(Exited(4), Ready(HostAction::kShutdownRequested));
  EXPECT_EQ(info.kind, ExitKind::kErrorExit);
  EXPECT_EQ(info.exit_code, 4);
}

TEST(ClassifyExitTest, StopRequestedIsStoppedByHostNotAShutdown) {
  EXPECT_EQ(ClassifyExit(Exited(0), Ready(HostAction::kStopRequested)).kind,
            ExitKind::kStoppedByHost);
  ExitInfo info = ClassifyExit(Signalled(SIGTERM),
                               Ready(HostAction::kStopRequested, {SIGTERM}));
  EXPECT_EQ(info.kind, ExitKind::kStoppedByHost);
  info.detail = "restart requested";
  EXPECT_EQ(info.Describe(), "stopped-by-host: restart requested");
  EXPECT_EQ(ClassifyExit(Signalled(SIGABRT),
                         Ready(HostAction::kStopRequested, {SIGTERM}))
                .kind,
            ExitKind::kCrashed);
}

#ifdef SIGSYS
TEST(ClassifyExitTest, SigsysIsAViolationOnlyUnderTheHostsFilter) {
  ExitEvidence filtered = Ready();
  filtered.seccomp_filter = true;
  EXPECT_EQ(ClassifyExit(Signalled(SIGSYS), filtered).kind,
            ExitKind::kSandboxViolation);
  const ExitInfo unfiltered = ClassifyExit(Signalled(SIGSYS), Ready());
  EXPECT_EQ(unfiltered.kind, ExitKind::kCrashed);
  EXPECT_EQ(unfiltered.signal, SIGSYS);
}

TEST(ClassifyExitTest, SigxcpuIsTheCpuLimitOnlyWhenTheHostSetOne) {
  ExitEvidence limited = Ready();
  limited.cpu_limit = true;
  EXPECT_EQ(ClassifyExit(Signalled(SIGXCPU), limited).kind,
            ExitKind::kCpuLimit);
  EXPECT_EQ(ClassifyExit(Signalled(SIGXCPU), Ready()).kind, ExitKind::kCrashed);
}
#endif

TEST(ClassifyExitTest, OutOfMemoryExitCodeCountsOnlyUnderAMemoryLimit) {
  ExitEvidence limited = Ready();
  limited.memory_limit = true;
  EXPECT_EQ(ClassifyExit(Exited(83), limited).kind, ExitKind::kOutOfMemory);
  const ExitInfo unlimited = ClassifyExit(Exited(83), Ready());
  EXPECT_EQ(unlimited.kind, ExitKind::kErrorExit);
  EXPECT_EQ(unlimited.exit_code, 83);
}

TEST(ClassifyExitTest, CgroupOomKillIsOutOfMemory) {
  ProcessEnd end = Signalled(SIGKILL);
  end.memory_limit_killed = true;
  EXPECT_EQ(ClassifyExit(end, Ready()).kind, ExitKind::kOutOfMemory);
}

TEST(ClassifyExitTest, SandboxFailureCodeIsALaunchFailureOnlyBeforeReady) {
  ExitEvidence locking_down;
  locking_down.lockdown_requested = true;
  EXPECT_EQ(ClassifyExit(Exited(85), locking_down).kind,
            ExitKind::kLaunchFailed);
  // After Ready, or never told to lock itself down: its own exit code.
  locking_down.ready = true;
  EXPECT_EQ(ClassifyExit(Exited(85), locking_down).kind, ExitKind::kErrorExit);
  EXPECT_EQ(ClassifyExit(Exited(85), ExitEvidence()).kind,
            ExitKind::kErrorExit);
}

TEST(ExitInfoTest, DescribeAppendsDetailAndKindSpecificFields) {
  ExitInfo bad;
  bad.kind = ExitKind::kBadMessage;
  bad.detail = "reply to call 9, which was never made";
  EXPECT_EQ(bad.Describe(),
            "bad-message: reply to call 9, which was never made");

  ExitInfo violation;
  violation.kind = ExitKind::kSandboxViolation;
  violation.syscall = "ptrace";
  EXPECT_TRUE(absl::StrContains(violation.Describe(), "ptrace"))
      << violation.Describe();

  ExitInfo launch;
  launch.kind = ExitKind::kLaunchFailed;
  launch.launch_status = absl::NotFoundError("no such binary");
  const std::string text = launch.Describe();
  EXPECT_TRUE(absl::StartsWith(text, "launch-failed")) << text;
  EXPECT_TRUE(absl::StrContains(text, "no such binary")) << text;
}

TEST(ExitKindNameTest, EveryKindHasADistinctName) {
  const std::vector<ExitKind> kinds = {
      ExitKind::kNormalExit,   ExitKind::kErrorExit,
      ExitKind::kCrashed,      ExitKind::kKilledByHost,
      ExitKind::kHung,         ExitKind::kBadMessage,
      ExitKind::kOutOfMemory,  ExitKind::kSandboxViolation,
      ExitKind::kCpuLimit,     ExitKind::kLaunchFailed,
      ExitKind::kHostShutdown, ExitKind::kStoppedByHost,
  };
  std::set<std::string> names;
  for (ExitKind kind : kinds) {
    const std::string name = ExitKindName(kind);
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown") << static_cast<int>(kind);
    // Stable, JSON-friendly names.
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '-') << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kinds.size());
}

}  // namespace
}  // namespace bulkhead

namespace bulkhead {
namespace {

struct WindowsExit {
  uint32_t status;
  int signal;
  const char* name;
};

class WindowsExitTest : public ::testing::TestWithParam<WindowsExit> {};

TEST_P(WindowsExitTest, ExceptionCodesAreCrashesWithTheMatchingSignal) {
  const ProcessEnd end = ProcessEndFromWindowsExit(GetParam().status, 0);
  EXPECT_EQ(end.term_signal, GetParam().signal);
  const ExitInfo info = ClassifyExit(end, Ready());
  EXPECT_EQ(info.kind, ExitKind::kCrashed);
  EXPECT_EQ(info.signal, GetParam().signal);
  EXPECT_THAT(info.Describe(), ::testing::HasSubstr(GetParam().name));
}

INSTANTIATE_TEST_SUITE_P(
    Codes, WindowsExitTest,
    ::testing::Values(WindowsExit{0xC0000005, SIGSEGV, "ACCESS_VIOLATION"},
                      WindowsExit{0xC00000FD, SIGSEGV, "STACK_OVERFLOW"},
                      WindowsExit{0xC0000094, SIGFPE, "INTEGER_DIVIDE_BY_ZERO"},
                      WindowsExit{0xC0000409, SIGABRT, "fast-fail"},
                      WindowsExit{3, SIGABRT, "SIGABRT"}),
    [](const ::testing::TestParamInfo<WindowsExit>& info) {
      return absl::StrCat("Status", absl::Hex(info.param.status));
    });

TEST(WindowsExitTest, OrdinaryCodesStayExitCodes) {
  EXPECT_EQ(ClassifyExit(ProcessEndFromWindowsExit(0, 0), Ready()).kind,
            ExitKind::kNormalExit);
  const ExitInfo seven = ClassifyExit(ProcessEndFromWindowsExit(7, 0), Ready());
  EXPECT_EQ(seven.kind, ExitKind::kErrorExit);
  EXPECT_EQ(seven.exit_code, 7);
  EXPECT_EQ(seven.exception_status, 0u);
}

TEST(WindowsExitTest, HostKillIsNotAnException) {
  // uv_process_kill on Windows: exit status 1 and the signal that was asked.
  const ProcessEnd end = ProcessEndFromWindowsExit(1, 9);
  EXPECT_EQ(end.exception_status, 0u);
  EXPECT_EQ(ClassifyExit(end, Ready(HostAction::kKillRequested, {9})).kind,
            ExitKind::kKilledByHost);
}

}  // namespace
}  // namespace bulkhead

// With real helpers: each end is classified from what happened, and a kind is
// claimed only when the host can back it with what it did or knows.
namespace bulkhead {
namespace {

using ::testing::HasSubstr;

class HelperExitTest : public testing::HostFixture {
 protected:
  virtual bool sandboxed() const = 0;

  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
    options.sandbox_helpers = sandboxed();
    // A helper that never becomes ready is restarted, as a failure.
    RestartPolicy restart;
    restart.initial_backoff = absl::Milliseconds(20);
    restart.jitter = 0;
    restart.max_restarts = 1;
    options.role_options["exit0"].restart_policy = restart;
  }

  void SetUp() override {
    if (sandboxed() && !sandbox::LockdownAvailable()) {
      GTEST_SKIP() << "helpers lock themselves down only on Linux";
    }
    HostFixture::SetUp();
  }

  // Injects `kind` into a ready utility helper and waits for its report.
  const ExitInfo* InjectAndWait(ipc::FaultKind kind, int exit_code = 0) {
    HelperProcess* helper = LaunchReady("utility");
    if (helper == nullptr) return nullptr;
    const uint64_t id = helper->id();
    helper->InjectFault(kind, exit_code, [](absl::Status) {});
    return WaitForExit(id);
  }

#ifndef _WIN32
  // Sends `signal` to a ready utility helper from outside, as another process
  // or the kernel would, and waits for its report. With `then_kill`, once the
  // helper is dead (a zombie, or reaped by its sandbox's init) but before the
  // host's loop has heard of it, the host kills it too.
  const ExitInfo* SignalAndWait(int signal, bool then_kill = false) {
    HelperProcess* helper = LaunchReady("utility");
    if (helper == nullptr) return nullptr;
    const uint64_t id = helper->id();
    const int64_t pid = helper->pid();
    EXPECT_EQ(::kill(static_cast<pid_t>(pid), signal), 0);
    if (then_kill) {
      EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(10)));
      helper->Kill(HostAction::kKillRequested, "too late");
    }
    return WaitForExit(id);
  }
#endif
};

class ExitInfoHelperTest : public HelperExitTest,
                           public ::testing::WithParamInterface<bool> {
 protected:
  bool sandboxed() const override { return GetParam(); }
};

// What examples/minimal_app does: the call fails because the helper crashed,
// and the app shuts the host down from the call's callback. The channel's end
// arrives before the exit, so the host's shutdown signals a process that is
// already dead; the report is still the crash.
TEST_P(ExitInfoHelperTest, CrashIsACrashWhenTheAppShutsDownFromTheFailedCall) {
  HelperProcess* helper = LaunchReady("utility");
  ASSERT_NE(helper, nullptr);
  bool stopped = false;
  helper->InjectFault(ipc::FAULT_KIND_SEGV, 0, [&](absl::Status status) {
    EXPECT_FALSE(status.ok());
    host_->Shutdown(absl::Seconds(2), [&] { stopped = true; });
  });
  ASSERT_TRUE(RunUntil([&] { return stopped; }));
  ASSERT_EQ(exits_.size(), 1u);
  EXPECT_EQ(exits_[0].kind, ExitKind::kCrashed) << exits_[0].Describe();
  EXPECT_EQ(exits_[0].signal, SIGSEGV) << exits_[0].Describe();
  EXPECT_FALSE(exits_[0].stack_trace.empty());
}

#ifndef _WIN32
// The helper is dead (a zombie, or reaped by its sandbox's init) before the
// host's loop hears of it; the host's kill then reaches nothing, and the
// report says how the helper really ended.
TEST_P(ExitInfoHelperTest, KillingAHelperThatAlreadyCrashedReportsTheCrash) {
  const ExitInfo* exit = SignalAndWait(SIGSEGV, /*then_kill=*/true);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGSEGV) << exit->Describe();
  EXPECT_FALSE(exit->stack_trace.empty());
}

// The same signal as the host's, sent by someone else first: the host's
// SIGKILL found the helper dead, so it is not what ended it.
TEST_P(ExitInfoHelperTest, KillingAHelperKilledFromOutsideIsNotTheHostsKill) {
  const ExitInfo* exit = SignalAndWait(SIGKILL, /*then_kill=*/true);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGKILL) << exit->Describe();
}

// No CPU limit was set: a SIGXCPU is some process's doing, not a limit's.
TEST_P(ExitInfoHelperTest, SigxcpuWithoutACpuLimitIsACrash) {
  const ExitInfo* exit = SignalAndWait(SIGXCPU);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGXCPU);
  EXPECT_THAT(exit->Describe(),
              HasSubstr(absl::StrCat("signal ", SIGXCPU, " SIGXCPU")));
}

// Every signal is named in the report, not only the usual crash signals.
TEST_P(ExitInfoHelperTest, DescribeNamesTheSignalThatEndedIt) {
  const ExitInfo* exit = SignalAndWait(SIGUSR1);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->Describe(),
            absl::StrCat("crashed (signal ", SIGUSR1, " SIGUSR1)"));
}
#endif  // _WIN32

// Exit code 85 means "a required sandbox layer failed before Ready": after
// Ready it is the helper's own exit code.
TEST_P(ExitInfoHelperTest, SandboxFailureCodeAfterReadyIsAnErrorExit) {
  const ExitInfo* exit = InjectAndWait(ipc::FAULT_KIND_EXIT, 85);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kErrorExit) << exit->Describe();
  EXPECT_EQ(exit->exit_code, 85);
}

// A helper that leaves with code 0 before Ready never started: a launch
// failure, which an on-failure policy restarts.
TEST_P(ExitInfoHelperTest, ExitZeroBeforeReadyIsALaunchFailureAndRestarted) {
  std::optional<absl::Status> ready;
  absl::StatusOr<HelperProcess*> launched = host_->Launch(
      "exit0",
      [&](absl::StatusOr<HelperProcess*> helper) { ready = helper.status(); });
  ASSERT_TRUE(launched.ok()) << launched.status();
  ASSERT_TRUE(RunUntil([&] { return !exits_.empty(); }));
  ASSERT_TRUE(ready.has_value());
  EXPECT_FALSE(ready->ok());
  EXPECT_EQ(exits_[0].kind, ExitKind::kLaunchFailed) << exits_[0].Describe();
  EXPECT_THAT(exits_[0].Describe(), HasSubstr("before it was ready"));
  // The replacement, which fails the same way.
  ASSERT_TRUE(RunUntil([&] { return exits_.size() >= 2; }, absl::Seconds(5)));
  EXPECT_EQ(host_->restarts("exit0"), 1);
  EXPECT_EQ(exits_[1].kind, ExitKind::kLaunchFailed) << exits_[1].Describe();
}

INSTANTIATE_TEST_SUITE_P(Sandbox, ExitInfoHelperTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Sandboxed" : "Unsandboxed";
                         });

// Without a sandbox: no seccomp filter, and no memory limit either.
class UnconfinedExitInfoTest : public HelperExitTest {
 protected:
  bool sandboxed() const override { return false; }
  void ModifyOptions(Host::Options& options) override {
    HelperExitTest::ModifyOptions(options);
    options.memory_limit_bytes = 0;
  }
};

// Exit code 83 is the helper's allocation-failure path; with no memory limit
// set the host cannot tell it from any other exit code.
TEST_F(UnconfinedExitInfoTest, OutOfMemoryCodeWithoutALimitIsAnErrorExit) {
  const ExitInfo* exit = InjectAndWait(ipc::FAULT_KIND_EXIT, 83);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kErrorExit) << exit->Describe();
  EXPECT_EQ(exit->exit_code, 83);
}

#ifdef SIGSYS
// Only a seccomp filter makes SIGSYS a violation; this helper has none.
TEST_F(UnconfinedExitInfoTest, SigsysWithoutAFilterIsACrash) {
  const ExitInfo* exit = SignalAndWait(SIGSYS);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGSYS);
  EXPECT_TRUE(exit->syscall.empty()) << exit->syscall;
}
#endif

}  // namespace
}  // namespace bulkhead
