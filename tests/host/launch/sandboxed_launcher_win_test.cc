// The Windows sandboxed launch with real helpers: restricted token, low
// integrity, job object. Under Wine the calls succeed but only part of the
// sandbox is applied (see sandbox/windows_sandbox.h); tests whose point is
// enforcement skip there and say why, the others assert what Wine does apply.
#include <uv.h>
// After uv.h (winsock2.h first).
#include <windows.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "host/launch/sandboxed_launcher.h"
#include "ipc/uv_handle.h"
#include "sample_roles/work.pb.h"
#include "sandbox/sandbox_policy.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using testing::ProcessExists;
using testing::RunningUnderWine;

std::string Layers(const ipc::SandboxStatus& status) {
  std::string text;
  for (const auto& [layer, state] : status.layers()) {
    absl::StrAppend(&text, layer, "=", state, "; ");
  }
  return text;
}

std::string Layer(const ipc::SandboxStatus& status, const std::string& name) {
  auto it = status.layers().find(name);
  return it == status.layers().end() ? "<missing>" : it->second;
}

// A launch at the limited level: the network role's policy.
Host::LaunchOverrides LimitedLevel() {
  Host::LaunchOverrides overrides;
  overrides.sandbox_policy = sandbox::PresetForRole("network");
  return overrides;
}

// The fixture's host with its default options: sandboxed helpers.
class SandboxedLauncherTest : public testing::HostFixture {};

TEST(SandboxedLaunchDefaultTest, HostsSandboxTheirHelpersOnWindows) {
  EXPECT_TRUE(SandboxedLaunchAvailable());
  EXPECT_TRUE(Host::Options().sandbox_helpers);
}

TEST_F(SandboxedLauncherTest, HelperCompletesTheHandshakeAndAnswersACall) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  EXPECT_TRUE(ProcessExists(helper->pid()));
  roles::LayoutTextRequest request;
  request.set_text("hello brave new world");
  request.set_width(11);
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(helper, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->lines(), ElementsAre("hello brave", "new world"));
}

TEST_F(SandboxedLauncherTest, HelperIsInAJobAndSaysWhatIsEnforced) {
  HelperProcess* helper = LaunchReady("gpu");
  ASSERT_NE(helper, nullptr);
  const ipc::SandboxStatus& status = helper->sandbox_status();
  EXPECT_EQ(Layer(status, "job object"), "yes") << Layers(status);
  if (RunningUnderWine()) {
    EXPECT_THAT(Layer(status, "enforcement"),
                StartsWith("not enforced under Wine"))
        << Layers(status);
    EXPECT_FALSE(status.sandboxed()) << Layers(status);
    // Of the token, Wine applies the deny-only groups (Administrators, ...):
    // proof that the helper runs with the token the host made.
    EXPECT_THAT(Layer(status, "restricted token"), HasSubstr("deny-only"))
        << Layers(status);
  } else {
    EXPECT_EQ(Layer(status, "enforcement"), "<missing>") << Layers(status);
    EXPECT_TRUE(status.sandboxed()) << Layers(status);
  }
}

// What Wine can show of the levels too: the renderer (no network, no view)
// started on a start-up token that its lockdown dropped; the network role
// never had one. On a real Windows: both on the alternate desktop, the
// renderer at lockdown and untrusted, the network role limited and low.
TEST_F(SandboxedLauncherTest, EachRoleGetsItsLevelAndTheAlternateDesktop) {
  HelperProcess* renderer = LaunchReady("renderer");
  ASSERT_NE(renderer, nullptr);
  HelperProcess* network = LaunchReady("network");
  ASSERT_NE(network, nullptr);
  const ipc::SandboxStatus& locked = renderer->sandbox_status();
  const ipc::SandboxStatus& limited = network->sandbox_status();
  EXPECT_EQ(Layer(locked, "start-up token"), "dropped at lockdown")
      << Layers(locked);
  EXPECT_EQ(Layer(limited, "start-up token"), "none") << Layers(limited);
  if (RunningUnderWine()) {
    // Seen with Wine 8.0: the helper reports Default whatever
    // STARTUPINFO.lpDesktop names.
    EXPECT_THAT(locked.network(), StartsWith("host:"))
        << "Wine enforces no token";
    return;
  }
  for (const ipc::SandboxStatus* status : {&locked, &limited}) {
    EXPECT_THAT(Layer(*status, "desktop"),
                StartsWith(absl::StrCat("alternate (bulkhead-",
                                        ::GetCurrentProcessId(), ")")))
        << Layers(*status);
  }
  EXPECT_EQ(Layer(locked, "token level"), "lockdown") << Layers(locked);
  EXPECT_EQ(Layer(locked, "integrity level"), "untrusted") << Layers(locked);
  EXPECT_EQ(locked.network(), "none: the lockdown token");
  EXPECT_EQ(Layer(limited, "token level"), "limited") << Layers(limited);
  EXPECT_EQ(Layer(limited, "integrity level"), "low") << Layers(limited);
}

// The limited level (the network role's policy): restricted, low, one
// privilege.
TEST_F(SandboxedLauncherTest, HelperRunsWithARestrictedLowIntegrityToken) {
  HelperProcess* helper = LaunchReady("utility", LimitedLevel());
  ASSERT_NE(helper, nullptr);
  const ipc::SandboxStatus& status = helper->sandbox_status();
  if (RunningUnderWine()) {
    GTEST_SKIP() << "Wine drops restricting SIDs, DISABLE_MAX_PRIVILEGE and "
                    "the integrity label (NtFilterToken, NtSetInformationToken "
                    "stubs); the helper reports: "
                 << Layers(status);
  }
  EXPECT_EQ(Layer(status, "restricted token"), "yes") << Layers(status);
  EXPECT_EQ(Layer(status, "integrity level"), "low") << Layers(status);
  EXPECT_EQ(Layer(status, "privileges"), "1 left") << Layers(status);
}

TEST_F(SandboxedLauncherTest, LowIntegrityHelperCannotWriteTheUsersTemp) {
  if (RunningUnderWine()) {
    GTEST_SKIP() << "Wine runs every process at High integrity and enforces "
                    "no mandatory labels: a low-integrity helper can write "
                    "%TEMP% there, so this test would mean nothing";
  }
  char temp[MAX_PATH + 1];
  const DWORD length = ::GetTempPathA(sizeof(temp), temp);
  ASSERT_GT(length, 0u);
  const std::string path =
      absl::StrCat(temp, "bulkhead-low-", ::GetCurrentProcessId(), ".txt");
  // The host (medium integrity) can, so a refusal is the helper's sandbox.
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  std::fclose(file);
  std::remove(path.c_str());

  // At the limited level: low integrity alone refuses it.
  HelperProcess* helper = LaunchReady("write-file", LimitedLevel());
  ASSERT_NE(helper, nullptr);
  roles::LayoutTextRequest request;
  request.set_text(path);
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(helper, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied)
      << response.status();
  std::remove(path.c_str());
}

// A file of the user's that the host made in %TEMP%: the same role reads it
// on the limited token (the network role's policy) and is refused it on the
// lockdown token (its own, the renderer's).
TEST_F(SandboxedLauncherTest, ALockedDownHelperCannotReadTheUsersFiles) {
  char temp[MAX_PATH + 1];
  const DWORD length = ::GetTempPathA(sizeof(temp), temp);
  ASSERT_GT(length, 0u);
  const std::string path =
      absl::StrCat(temp, "bulkhead-secret-", ::GetCurrentProcessId(), ".txt");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  std::fputs("the user's secret", file);
  std::fclose(file);
  roles::LayoutTextRequest request;
  request.set_text(path);

  HelperProcess* limited = LaunchReady("read-file", LimitedLevel());
  ASSERT_NE(limited, nullptr);
  absl::StatusOr<roles::LayoutTextResponse> read =
      CallAndWait<roles::LayoutTextResponse>(limited, request);
  EXPECT_TRUE(read.ok()) << "the limited token reads the user's files: "
                         << read.status();
  if (RunningUnderWine()) {
    std::remove(path.c_str());
    GTEST_SKIP() << "Wine drops restricting SIDs: a lockdown token reads "
                    "whatever its user may";
  }
  HelperProcess* locked = LaunchReady("read-file");
  ASSERT_NE(locked, nullptr);
  absl::StatusOr<roles::LayoutTextResponse> refused =
      CallAndWait<roles::LayoutTextResponse>(locked, request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied)
      << refused.status();
  std::remove(path.c_str());
}

// The limited token leaves the network alone (the network role makes its
// socket); the lockdown token opens none.
TEST_F(SandboxedLauncherTest, ALockedDownHelperOpensNoSocket) {
  HelperProcess* limited = LaunchReady("socket-opener", LimitedLevel());
  ASSERT_NE(limited, nullptr);
  absl::StatusOr<roles::LayoutTextResponse> opened =
      CallAndWait<roles::LayoutTextResponse>(limited,
                                             roles::LayoutTextRequest());
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (RunningUnderWine()) {
    GTEST_SKIP() << "Wine drops restricting SIDs: a lockdown token makes "
                    "sockets there";
  }
  HelperProcess* locked = LaunchReady("socket-opener");
  ASSERT_NE(locked, nullptr);
  absl::StatusOr<roles::LayoutTextResponse> refused =
      CallAndWait<roles::LayoutTextResponse>(locked,
                                             roles::LayoutTextRequest());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied)
      << refused.status();
}

// Outside %TEMP% too: the user's profile folder (Medium integrity), which a
// helper at untrusted (or low) integrity may not write.
TEST_F(SandboxedLauncherTest, ALockedDownHelperCannotWriteTheUsersProfile) {
  if (RunningUnderWine()) {
    GTEST_SKIP() << "Wine runs every process at High integrity and enforces "
                    "no mandatory labels";
  }
  const char* profile = std::getenv("USERPROFILE");
  ASSERT_NE(profile, nullptr);
  const std::string path = absl::StrCat(profile, "\\bulkhead-escape-",
                                        ::GetCurrentProcessId(), ".txt");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << "the host itself cannot write " << path;
  std::fclose(file);
  std::remove(path.c_str());
  HelperProcess* helper = LaunchReady("write-file");
  ASSERT_NE(helper, nullptr);
  roles::LayoutTextRequest request;
  request.set_text(path);
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(helper, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied)
      << response.status();
  std::remove(path.c_str());
}

// A helper's process object is the host's alone: the host opens it by pid,
// another helper (even at the limited level, whose token has the host's
// user) may not read or write it.
TEST_F(SandboxedLauncherTest, NoHelperCanOpenAnothersProcess) {
  HelperProcess* target = LaunchReady("renderer");
  ASSERT_NE(target, nullptr);
  HANDLE opened = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE,
                                FALSE, static_cast<DWORD>(target->pid()));
  EXPECT_NE(opened, nullptr)
      << "the host cannot open its own helper: " << ::GetLastError();
  if (opened != nullptr) ::CloseHandle(opened);
  if (RunningUnderWine()) {
    GTEST_SKIP() << "Wine enforces no integrity label, and the limited "
                    "token's user is in the helper object's DACL";
  }
  HelperProcess* opener = LaunchReady("process-opener", LimitedLevel());
  ASSERT_NE(opener, nullptr);
  roles::LayoutTextRequest request;
  request.set_text(absl::StrCat(target->pid()));
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(opener, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied)
      << response.status();
}

TEST_F(SandboxedLauncherTest, HelperCannotStartAProcess) {
  if (RunningUnderWine()) {
    GTEST_SKIP() << "Wine does not enforce a job's active-process limit: the "
                    "helper could start processes there";
  }
  // At the limited level: the job's one-process limit alone refuses it.
  HelperProcess* helper = LaunchReady("spawner", LimitedLevel());
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(helper,
                                             roles::LayoutTextRequest());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied)
      << response.status();
}

TEST_F(SandboxedLauncherTest, ErrorExitIsReportedWithItsCodeAndStderr) {
  std::optional<absl::Status> ready;
  absl::StatusOr<HelperProcess*> launched = host_->Launch(
      "exit7",
      [&](absl::StatusOr<HelperProcess*> helper) { ready = helper.status(); });
  ASSERT_TRUE(launched.ok()) << launched.status();
  const ExitInfo* exit = WaitForExit((*launched)->id());
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kErrorExit) << exit->Describe();
  EXPECT_EQ(exit->exit_code, 7);
  EXPECT_THAT(exit->last_stderr_lines,
              ElementsAre("exit7: first words", "exit7: about to exit with 7"));
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->code(), absl::StatusCode::kUnavailable);
}

TEST_F(SandboxedLauncherTest, CrashIsReportedWithItsExceptionAndStack) {
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();
  helper->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
  EXPECT_EQ(exit->exception_status, 0xC0000005u) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGSEGV);
  // The crash record came through the crash pipe (C runtime fd 4).
  EXPECT_FALSE(exit->stack_trace.empty()) << "no crash record arrived";
}

TEST_F(SandboxedLauncherTest, KillTerminatesAndReportsTheHost) {
  HelperProcess* helper = LaunchReady("deaf");
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();
  const int64_t pid = helper->pid();
  helper->Kill(HostAction::kKillRequested, "test");
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
  EXPECT_EQ(exit->signal, SIGKILL) << exit->Describe();
  EXPECT_FALSE(ProcessExists(pid));
}

// The middle host of JobKillsTheHelperWhenItsHostDies is not sandboxed: its
// job would let it start no process.
class UnsandboxedHostTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.sandbox_helpers = false;
  }
};

// The helper is deaf (it never reads its channel again), so the end of its
// channel cannot end it: only the job's kill-on-close can, when the host that
// holds the job dies without cleaning up.
TEST_F(UnsandboxedHostTest, JobKillsTheHelperWhenItsHostDies) {
  HelperProcess* middle = LaunchReady("nested-host");
  ASSERT_NE(middle, nullptr);
  roles::LayoutTextRequest request;
  request.set_text("deaf");
  absl::StatusOr<roles::LayoutTextResponse> response =
      CallAndWait<roles::LayoutTextResponse>(middle, request,
                                             absl::Seconds(20));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->lines_size(), 1);
  int64_t pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(response->lines(0), &pid)) << response->lines(0);

  // A handle keeps the pid from naming another process meanwhile.
  HANDLE grandchild = ::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_INFORMATION,
                                    FALSE, static_cast<DWORD>(pid));
  ASSERT_NE(grandchild, nullptr) << "helper " << pid << " is already gone";
  BOOL in_job = FALSE;
  EXPECT_TRUE(::IsProcessInJob(grandchild, nullptr, &in_job));
  EXPECT_TRUE(in_job);
  EXPECT_EQ(::WaitForSingleObject(grandchild, 0),
            static_cast<DWORD>(WAIT_TIMEOUT));

  middle->Kill(HostAction::kKillRequested, "the test kills the middle host");
  EXPECT_EQ(::WaitForSingleObject(grandchild, 10'000),
            static_cast<DWORD>(WAIT_OBJECT_0))
      << "helper " << pid << " outlived its host's job";
  ::CloseHandle(grandchild);
  const ExitInfo* exit = WaitForExit(middle->id());
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
}

// ChildProcess itself, without a Host: the helper has no peer on its channel
// and waits for a Welcome that never comes.
class SandboxedChildProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    channel_ = ipc::UvHandle<uv_pipe_t>(&loop_, /*ipc=*/0);
  }

  void TearDown() override {
    child_.reset();
    channel_.Close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }

  void Spawn(const std::string& role) {
    LaunchOptions options;
    options.role = role;
    options.helper_id = 1;
    absl::StatusOr<std::unique_ptr<ChildProcess>> child =
        SpawnSandboxedHelper(&loop_, options, {.channel = channel_.get()},
                             [this](int64_t status, int signal) {
                               exit_ = std::make_pair(status, signal);
                             });
    ASSERT_TRUE(child.ok()) << child.status();
    child_ = *std::move(child);
  }

  // Runs the loop until the exit callback ran, or 15 s; false on timeout.
  bool WaitForExitCallback() {
    uv_timer_t timer;
    bool timed_out = false;
    uv_timer_init(&loop_, &timer);
    timer.data = &timed_out;
    uv_timer_start(
        &timer, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
        15'000, 0);
    while (!exit_.has_value() && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return exit_.has_value();
  }

  uv_loop_t loop_;
  ipc::UvHandle<uv_pipe_t> channel_;
  std::unique_ptr<ChildProcess> child_;
  std::optional<std::pair<int64_t, int>> exit_;
};

TEST_F(SandboxedChildProcessTest, SignalTerminatesAndTheExitReportsIt) {
  ASSERT_NO_FATAL_FAILURE(Spawn("renderer"));
  const int64_t pid = child_->pid();
  EXPECT_TRUE(ProcessExists(pid));
  EXPECT_TRUE(child_->Signal(0).ok());
  ASSERT_TRUE(child_->Signal(SIGTERM).ok());
  ASSERT_TRUE(WaitForExitCallback());
  EXPECT_EQ(exit_->first, 1);  // TerminateProcess's code, as libuv uses.
  EXPECT_EQ(exit_->second, SIGTERM);
  EXPECT_FALSE(ProcessExists(pid));
  // Reaped: its pid may name another process now.
  EXPECT_EQ(child_->Signal(SIGKILL).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SandboxedChildProcessTest, SignalsWithoutAWindowsMeaningAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Spawn("renderer"));
  constexpr int kSigHup = 1;
  EXPECT_EQ(child_->Signal(kSigHup).code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(ProcessExists(child_->pid()));
}

TEST_F(SandboxedChildProcessTest, DestroyingARunningChildKillsItSilently) {
  ASSERT_NO_FATAL_FAILURE(Spawn("renderer"));
  const int64_t pid = child_->pid();
  child_.reset();
  EXPECT_FALSE(ProcessExists(pid));
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_FALSE(exit_.has_value()) << "the exit callback ran after destruction";
}

TEST_F(SandboxedChildProcessTest, MissingExecutableFailsWithTheWindowsError) {
  LaunchOptions options;
  options.executable = "C:\\nonexistent\\bulkhead-helper.exe";
  options.role = "renderer";
  options.helper_id = 1;
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = SpawnSandboxedHelper(
      &loop_, options, {.channel = channel_.get()}, [](int64_t, int) {});
  ASSERT_FALSE(child.ok());
  EXPECT_THAT(std::string(child.status().message()),
              HasSubstr("CreateProcessAsUserW C:\\nonexistent\\"));
  EXPECT_THAT(std::string(child.status().message()),
              HasSubstr("Windows error"));
}

}  // namespace
}  // namespace bulkhead
