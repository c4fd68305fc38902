#include "browser_host/exit_info.h"

#include <uv.h>

#include <csignal>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

TEST(ClassifyExitTest, ExitZeroIsNormal) {
  ExitInfo info =
      ClassifyExit(Exited(0), HostAction::kNone, /*host_killed=*/false);
  EXPECT_EQ(info.kind, ExitKind::kNormalExit);
  EXPECT_EQ(info.exit_code, 0);
  EXPECT_EQ(info.signal, 0);
  EXPECT_EQ(info.Describe(), "normal-exit");
}

TEST(ClassifyExitTest, NonZeroExitIsErrorExit) {
  ExitInfo info = ClassifyExit(Exited(3), HostAction::kNone, false);
  EXPECT_EQ(info.kind, ExitKind::kErrorExit);
  EXPECT_EQ(info.exit_code, 3);
  EXPECT_TRUE(absl::StrContains(info.Describe(), "error-exit"))
      << info.Describe();
  EXPECT_TRUE(absl::StrContains(info.Describe(), "code 3")) << info.Describe();
}

TEST(ClassifyExitTest, SignalNotSentByHostIsCrash) {
  ExitInfo info = ClassifyExit(Signalled(SIGSEGV, /*core_dumped=*/true),
                               HostAction::kNone, false);
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
    ExitInfo info = ClassifyExit(Signalled(signal), HostAction::kNone, false);
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

TEST(ClassifyExitTest, HostActionsOutrankTheWaitStatus) {
  struct Case {
    HostAction action;
    ExitKind kind;
    const char* name;
  };
  const Case cases[] = {
      {HostAction::kKillRequested, ExitKind::kKilledByHost, "killed-by-host"},
      {HostAction::kKilledAsHung, ExitKind::kHung, "hung"},
      {HostAction::kKilledAsBadMessage, ExitKind::kBadMessage, "bad-message"},
  };
  for (const Case& c : cases) {
    // The host's SIGKILL, as it happens.
    ExitInfo killed =
        ClassifyExit(Signalled(SIGKILL), c.action, /*host_killed=*/true);
    EXPECT_EQ(killed.kind, c.kind) << c.name;
    EXPECT_EQ(killed.signal, SIGKILL) << c.name;
    EXPECT_TRUE(absl::StartsWith(killed.Describe(), c.name))
        << killed.Describe();
    // Also when the helper beat the kill to it, by exiting or crashing on its
    // own.
    EXPECT_EQ(ClassifyExit(Exited(0), c.action, false).kind, c.kind) << c.name;
    EXPECT_EQ(ClassifyExit(Exited(7), c.action, false).kind, c.kind) << c.name;
    EXPECT_EQ(ClassifyExit(Signalled(SIGSEGV), c.action, false).kind, c.kind)
        << c.name;
  }
}

TEST(ClassifyExitTest, ShutdownRequestedAndExitZeroIsHostShutdown) {
  ExitInfo info =
      ClassifyExit(Exited(0), HostAction::kShutdownRequested, false);
  EXPECT_EQ(info.kind, ExitKind::kHostShutdown);
  EXPECT_EQ(info.Describe(), "host-shutdown");
}

TEST(ClassifyExitTest, ShutdownRequestedAndHostKillIsHostShutdown) {
  // The helper ignored the request and was killed at the end of the grace
  // period.
  ExitInfo info =
      ClassifyExit(Signalled(SIGKILL), HostAction::kShutdownRequested,
                   /*host_killed=*/true);
  EXPECT_EQ(info.kind, ExitKind::kHostShutdown);
  EXPECT_EQ(info.signal, SIGKILL);
  ExitInfo terminated =
      ClassifyExit(Signalled(SIGTERM), HostAction::kShutdownRequested, true);
  EXPECT_EQ(terminated.kind, ExitKind::kHostShutdown);
}

TEST(ClassifyExitTest, ShutdownRequestedButSelfCrashIsCrash) {
  ExitInfo info =
      ClassifyExit(Signalled(SIGSEGV), HostAction::kShutdownRequested,
                   /*host_killed=*/false);
  EXPECT_EQ(info.kind, ExitKind::kCrashed);
  EXPECT_EQ(info.signal, SIGSEGV);
  EXPECT_TRUE(absl::StrContains(info.Describe(), "SIGSEGV")) << info.Describe();
}

TEST(ClassifyExitTest, ShutdownRequestedButErrorExitIsErrorExit) {
  ExitInfo info =
      ClassifyExit(Exited(4), HostAction::kShutdownRequested, false);
  EXPECT_EQ(info.kind, ExitKind::kErrorExit);
  EXPECT_EQ(info.exit_code, 4);
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
      ExitKind::kHostShutdown,
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
  const ExitInfo info = ClassifyExit(end, HostAction::kNone, false);
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
  EXPECT_EQ(
      ClassifyExit(ProcessEndFromWindowsExit(0, 0), HostAction::kNone, false)
          .kind,
      ExitKind::kNormalExit);
  const ExitInfo seven =
      ClassifyExit(ProcessEndFromWindowsExit(7, 0), HostAction::kNone, false);
  EXPECT_EQ(seven.kind, ExitKind::kErrorExit);
  EXPECT_EQ(seven.exit_code, 7);
  EXPECT_EQ(seven.exception_status, 0u);
}

TEST(WindowsExitTest, HostKillIsNotAnException) {
  // uv_process_kill on Windows: exit status 1 and the signal that was asked.
  const ProcessEnd end = ProcessEndFromWindowsExit(1, 9);
  EXPECT_EQ(end.exception_status, 0u);
  EXPECT_EQ(ClassifyExit(end, HostAction::kKillRequested, true).kind,
            ExitKind::kKilledByHost);
}

}  // namespace
}  // namespace bulkhead
