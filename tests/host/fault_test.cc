// Every fault a helper can be made to commit, injected into a real helper
// while a sibling carries load: the exact ExitInfo, and the sibling unharmed.
#include <csignal>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "common/process_image.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helper/diagnostics/fault_injection.h"
#include "host/launch/launch_options.h"
#include "host/launch/sandbox_zygote.h"
#include "host/symbolizer.h"
#include "sample_roles/work.pb.h"
#include "sandbox/lockdown.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"
#include "tests/support/sanitizer_env.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

class FaultTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    // Short enough for quick hang tests, long enough that a healthy sibling on
    // a loaded machine (ctest -j2, sanitizers) always answers in time.
    options.heartbeat.interval = absl::Milliseconds(200);
    options.heartbeat.timeout = absl::Seconds(2);
    if (!testing::SanitizerReservesAddressSpace()) {
      options.memory_limit_bytes = 768ull << 20;
    }
    options.forward_helper_output = false;
  }

  void SetUp() override {
    HostFixture::SetUp();
    const uint64_t fallbacks = SandboxZygotes::FallbacksForTesting();
    sibling_ = LaunchReady("renderer");
    victim_ = LaunchReady("utility");
    ASSERT_NE(sibling_, nullptr);
    ASSERT_NE(victim_, nullptr);
    // The launch mode this run asked for: exec'd in the .execd run
    // (BULKHEAD_SANDBOXED_ZYGOTE=0), never forked; forked from its shape's
    // zygote by default, unless that zygote could not start or was given up
    // (a loaded machine may slow it past its deadline), which is logged.
    if (!victim_->sandboxed() || !SandboxedLaunchAvailable()) return;
    if (!ForkSandboxedHelpersByDefault()) {
      EXPECT_FALSE(victim_->forked());
      EXPECT_FALSE(sibling_->forked());
    } else if (SandboxZygotes::FallbacksForTesting() == fallbacks) {
      EXPECT_TRUE(victim_->forked());
      EXPECT_TRUE(sibling_->forked());
    }
  }

  // Injects `kind` and waits for the victim's exit report.
  const ExitInfo* InjectAndWaitForExit(ipc::FaultKind kind, int code = 0) {
    const uint64_t id = victim_->id();
    victim_->InjectFault(kind, code, [](absl::Status) {});
    return WaitForExit(id);
  }

  // The sibling still does its work.
  void ExpectSiblingAnswers() {
    roles::LayoutTextRequest request;
    request.set_text("still standing");
    request.set_width(40);
    absl::StatusOr<roles::LayoutTextResponse> response =
        CallAndWait<roles::LayoutTextResponse>(sibling_, request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_THAT(response->lines(), ::testing::ElementsAre("still standing"));
    EXPECT_EQ(sibling_->state(), HelperProcess::State::kReady);
  }

  HelperProcess* sibling_ = nullptr;
  HelperProcess* victim_ = nullptr;
};

struct CrashCase {
  const char* name;
  ipc::FaultKind kind;
  int signal;
};

class CrashFaultTest : public FaultTest,
                       public ::testing::WithParamInterface<CrashCase> {};

TEST_P(CrashFaultTest, IsACrashWithItsSignalAndAStack) {
  if (GetParam().kind == ipc::FAULT_KIND_STACK_OVERFLOW &&
      testing::RunningUnderWine()) {
    GTEST_SKIP() << "under Wine a stack overflow wedges the process in its "
                    "unhandled-exception filter (seen: the heartbeat then "
                    "kills it as hung); this needs real Windows";
  }
  const int64_t pid = victim_->pid();
  const ExitInfo* exit = InjectAndWaitForExit(GetParam().kind);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->signal, GetParam().signal)
      << exit->Describe() << "\n"
      << absl::StrJoin(exit->last_stderr_lines, "\n");
  EXPECT_EQ(exit->pid, pid);
  EXPECT_EQ(exit->role, "utility");
  EXPECT_FALSE(exit->stack_trace.empty()) << "no crash record arrived";
  const std::string stack = absl::StrJoin(exit->stack_trace, "\n");
  if (CanSymbolizeOwnCode()) {
    // Frames inside the executable are named: the fault is in fault
    // injection.
    EXPECT_TRUE(absl::StrContains(stack, "bulkhead::")) << stack;
  } else if (MainExecutableImage().size != 0) {
    // No symbolizer for this build: frames are placed in the executable.
    EXPECT_TRUE(absl::StrContains(stack, "(executable+0x")) << stack;
  } else {
    // Nor where the executable is (a platform without process_image_*.cc):
    // the frames say so rather than guess.
    EXPECT_TRUE(absl::StrContains(stack, "(outside the executable)")) << stack;
  }
  // Ended; a sandboxed helper may still be a zombie its namespace's init
  // reaps just after the report (docs/DESIGN.md: init relays, then reaps).
  EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(10)));
  ExpectSiblingAnswers();
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, CrashFaultTest,
    ::testing::Values(CrashCase{"segv", ipc::FAULT_KIND_SEGV, SIGSEGV},
                      CrashCase{"abort", ipc::FAULT_KIND_ABORT, SIGABRT},
                      CrashCase{"stack_overflow",
                                ipc::FAULT_KIND_STACK_OVERFLOW, SIGSEGV},
                      CrashCase{"div_zero", ipc::FAULT_KIND_DIV_ZERO, SIGFPE}),
    [](const ::testing::TestParamInfo<CrashCase>& info) {
      return std::string(info.param.name);
    });

TEST_F(FaultTest, HangIsFoundByTheHeartbeat) {
  const ExitInfo* exit = InjectAndWaitForExit(ipc::FAULT_KIND_HANG);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kHung) << exit->Describe();
  EXPECT_THAT(exit->detail, HasSubstr("no Pong"));
  ExpectSiblingAnswers();
}

TEST_F(FaultTest, DeadlockIsFoundByTheHeartbeat) {
  const ExitInfo* exit = InjectAndWaitForExit(ipc::FAULT_KIND_DEADLOCK);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kHung) << exit->Describe();
  ExpectSiblingAnswers();
}

TEST_F(FaultTest, ExitReportsItsCode) {
  const ExitInfo* exit = InjectAndWaitForExit(ipc::FAULT_KIND_EXIT, 42);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kErrorExit) << exit->Describe();
  EXPECT_EQ(exit->exit_code, 42);
  ExpectSiblingAnswers();
}

// Filling and touching hundreds of megabytes keeps the helper's loop busy for
// a while on a loaded machine: that must not be mistaken for a hang here.
class OutOfMemoryFaultTest : public FaultTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    FaultTest::ModifyOptions(options);
    options.heartbeat.timeout = absl::Seconds(30);
    if (options.memory_limit_bytes != 0)
      options.memory_limit_bytes = 512ull << 20;
  }
};

TEST_F(OutOfMemoryFaultTest, EndsAsOutOfMemory) {
  if (testing::SanitizerReservesAddressSpace()) {
    GTEST_SKIP() << "a sanitizer reserves terabytes of address space, so an "
                    "address-space limit cannot be set in this build";
  }
  if (testing::RunningUnderWine()) {
    GTEST_SKIP() << "Wine accepts job memory limits but does not enforce "
                    "them; this needs real Windows";
  }
  const ExitInfo* exit = InjectAndWaitForExit(ipc::FAULT_KIND_OOM);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kOutOfMemory) << exit->Describe();
  ExpectSiblingAnswers();
}

TEST_F(FaultTest, BadMessageIsABadMessage) {
  const ExitInfo* exit = InjectAndWaitForExit(ipc::FAULT_KIND_BAD_MESSAGE);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kBadMessage) << exit->Describe();
  EXPECT_THAT(exit->detail, HasSubstr("does not parse"));
  ExpectSiblingAnswers();
}

// The limit is low enough that a flood exceeds it however busy the machine
// (the default, 200000 messages/s, was out of reach of a flooding helper on a
// loaded two-core machine), and far above what the sibling sends.
class FloodFaultTest : public FaultTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    FaultTest::ModifyOptions(options);
    options.heartbeat.max_frames_per_second = 5000;
  }
};

TEST_F(FloodFaultTest, FloodIsStoppedAndTheHostStaysBounded) {
  const uint64_t rss_before = testing::CurrentRssBytes();
  const ExitInfo* exit = InjectAndWaitForExit(ipc::FAULT_KIND_FLOOD);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kBadMessage) << exit->Describe();
  EXPECT_THAT(exit->detail, HasSubstr("flooding"));
  const uint64_t rss_after = testing::CurrentRssBytes();
  if (rss_before != 0) {
    // The host parsed and dropped every message as it came: no backlog.
    EXPECT_LT(rss_after, rss_before + (64ull << 20))
        << rss_before << " -> " << rss_after;
  }
  ExpectSiblingAnswers();
}

// Without a sandbox a fork bomb multiplies; its processes share the helper's
// group and are swept with it.
class UnsandboxedFaultTest : public FaultTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    FaultTest::ModifyOptions(options);
    options.sandbox_helpers = false;
  }
};

TEST_F(FaultTest, ForkBombInTheSandboxIsAViolation) {
  if (!sandbox::LockdownAvailable()) {
    GTEST_SKIP() << "helpers lock themselves down only on Linux";
  }
  if (*testing::TrappedForkUnobservableReason() != '\0') {
    GTEST_SKIP() << testing::TrappedForkUnobservableReason();
  }
  ASSERT_TRUE(victim_->sandboxed());
  const ExitInfo* exit = InjectAndWaitForExit(ipc::FAULT_KIND_FORK_BOMB);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kSandboxViolation) << exit->Describe();
  // glibc's fork() is clone without CLONE_THREAD, which the filter refuses.
  EXPECT_EQ(exit->syscall, "clone") << exit->Describe();
  ExpectSiblingAnswers();
}

TEST_F(UnsandboxedFaultTest, ForkBombLeavesNothingBehind) {
  std::optional<absl::Status> started;
  victim_->InjectFault(ipc::FAULT_KIND_FORK_BOMB, 0,
                       [&](absl::Status status) { started = status; });
  ASSERT_TRUE(RunUntil([&] { return started.has_value(); }));
  if (absl::IsUnimplemented(*started)) {
    GTEST_SKIP() << "no fork_bomb on this platform: " << *started;
  }
  ASSERT_TRUE(started->ok()) << *started;
  const int64_t group = victim_->pid();
  EXPECT_TRUE(testing::ProcessGroupExists(group));
  const uint64_t id = victim_->id();
  victim_->Kill(HostAction::kKillRequested, "test");
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
  // The helper's children were swept with it.
  EXPECT_TRUE(RunUntil([&] { return !testing::ProcessGroupExists(group); },
                       absl::Seconds(5)));
  ExpectSiblingAnswers();
}

TEST(FaultKindNamesTest, RoundTrip) {
  for (const char* name :
       {"segv", "abort", "stack_overflow", "div_zero", "hang", "deadlock",
        "oom", "exit", "bad_message", "flood", "fork_bomb"}) {
    std::optional<ipc::FaultKind> kind = ParseFaultKind(name);
    ASSERT_TRUE(kind.has_value()) << name;
    EXPECT_STREQ(FaultKindName(*kind), name);
  }
  EXPECT_FALSE(ParseFaultKind("explode").has_value());
}

}  // namespace
}  // namespace bulkhead
