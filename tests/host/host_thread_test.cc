// Host::StartThread: the host's loop on a thread it owns, driven from the
// test's thread only through Post, with results handed back through promises
// (the tsan preset checks every hand-over). Real helpers; every wait is on an
// event, bounded by a deadline.
#include <uv.h>

#include "common/platform.h"
#if defined(BULKHEAD_OS_LINUX)
#include <unistd.h>
#endif

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/loop_thread_checker.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "host/launch/launch_options.h"
#include "host/launch/launcher_thread.h"
#include "sample_roles/work.pb.h"
#include "tests/support/process_probe.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

constexpr std::chrono::seconds kWait{30};

class HostThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Host::Options options;
    options.roles = &testing::TestRoleRegistry();
    options.forward_helper_output = false;
    absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
  }

  std::unique_ptr<Host> host_;
};

// What the host's thread hands back. Shared: a task may outlive a failed
// assertion's early return.
struct Outcome {
  std::promise<absl::StatusOr<roles::LayoutTextResponse>> reply;
  std::promise<ExitInfo> exit;
  std::promise<void> shut_down;
  int64_t pid = 0;             // Set on the host's thread before `reply`.
  bool on_app_thread = false;  // Ditto: any callback on the test's thread.
};

TEST_F(HostThreadTest, TheAppThreadLaunchesAndCallsThroughPost) {
  auto outcome = std::make_shared<Outcome>();
  const std::thread::id app_thread = std::this_thread::get_id();
  // Handlers are set before the thread starts; after, only in posted tasks.
  host_->SetExitHandler(
      [outcome](const ExitInfo& exit) { outcome->exit.set_value(exit); });
  ASSERT_TRUE(host_->StartThread().ok());
  EXPECT_EQ(host_->StartThread().code(), absl::StatusCode::kFailedPrecondition);

  Host* host = host_.get();
  host_->Post([host, outcome, app_thread] {
    outcome->on_app_thread |= std::this_thread::get_id() == app_thread;
    absl::StatusOr<HelperProcess*> launched = host->Launch(
        "renderer",
        [outcome, app_thread](absl::StatusOr<HelperProcess*> helper) {
          outcome->on_app_thread |= std::this_thread::get_id() == app_thread;
          if (!helper.ok()) {
            outcome->reply.set_value(helper.status());
            return;
          }
          // Known once spawned: a sandboxed launch finishes after Launch.
          outcome->pid = (*helper)->pid();
          roles::LayoutTextRequest request;
          request.set_text("from another thread");
          request.set_width(8);
          (*helper)->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
              request, absl::Now() + absl::Seconds(10),
              [outcome](absl::StatusOr<roles::LayoutTextResponse> response) {
                outcome->reply.set_value(std::move(response));
              });
        });
    if (!launched.ok()) outcome->reply.set_value(launched.status());
  });
  std::future<absl::StatusOr<roles::LayoutTextResponse>> reply =
      outcome->reply.get_future();
  ASSERT_EQ(reply.wait_for(kWait), std::future_status::ready);
  absl::StatusOr<roles::LayoutTextResponse> response = reply.get();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->word_count(), 3u);
  EXPECT_FALSE(outcome->on_app_thread);
  const int64_t pid = outcome->pid;
  EXPECT_GT(pid, 0);

  host_->Post([host, outcome] {
    host->Shutdown(absl::Seconds(2),
                   [outcome] { outcome->shut_down.set_value(); });
  });
  ASSERT_EQ(outcome->shut_down.get_future().wait_for(kWait),
            std::future_status::ready);
  std::future<ExitInfo> exit = outcome->exit.get_future();
  ASSERT_EQ(exit.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(exit.get().kind, ExitKind::kHostShutdown);

  // Back on the test's thread, which may use the host directly again.
  host_->StopThread();
  EXPECT_TRUE(host_->helpers().empty());
  EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(10)));
}

TEST_F(HostThreadTest, StopThreadRunsThePostedTasksFirst) {
  constexpr int kTasks = 500;
  int ran = 0;  // The host's thread, then (after the join) the test's.
  ASSERT_TRUE(host_->StartThread().ok());
  for (int i = 0; i < kTasks; ++i) host_->Post([&ran] { ++ran; });
  host_->StopThread();
  EXPECT_EQ(ran, kTasks);

  // The test's thread runs the loop again; the thread can start again too.
  host_->Post([this] { host_->Quit(); });
  host_->Run();
  ASSERT_TRUE(host_->StartThread().ok());
  host_->Post([&ran] { ++ran; });
  host_->StopThread();
  EXPECT_EQ(ran, kTasks + 1);
}

TEST_F(HostThreadTest, DestroyedFromTheAppThreadWhileHelpersAreBusy) {
  constexpr int kHelpers = 2;
  struct Busy {
    std::promise<std::vector<int64_t>> all_busy;
    std::vector<int64_t> pids;           // The host's thread, then the test's.
    std::vector<absl::Status> outcomes;  // Ditto.
    int exits = 0;                       // Ditto.
  };
  auto busy = std::make_shared<Busy>();
  host_->SetExitHandler([busy](const ExitInfo&) { ++busy->exits; });
  ASSERT_TRUE(host_->StartThread().ok());
  Host* host = host_.get();
  host_->Post([host, busy] {
    for (int i = 0; i < kHelpers; ++i) {
      absl::StatusOr<HelperProcess*> launched =
          host->Launch("stall", [busy](absl::StatusOr<HelperProcess*> helper) {
            ASSERT_TRUE(helper.ok()) << helper.status();
            // The stall role blocks inside this call's handler for good.
            roles::LayoutTextRequest request;
            request.set_text("never answered");
            request.set_width(10);
            (*helper)
                ->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
                    request, absl::Now() + absl::Minutes(5),
                    [busy](absl::StatusOr<roles::LayoutTextResponse> r) {
                      busy->outcomes.push_back(r.status());
                    });
            EXPECT_EQ((*helper)->channel().pending_calls(), 1u);
            busy->pids.push_back((*helper)->pid());
            if (static_cast<int>(busy->pids.size()) == kHelpers) {
              busy->all_busy.set_value(busy->pids);
            }
          });
      ASSERT_TRUE(launched.ok()) << launched.status();
    }
  });
  std::future<std::vector<int64_t>> all_busy = busy->all_busy.get_future();
  ASSERT_EQ(all_busy.wait_for(kWait), std::future_status::ready)
      << "the helpers never became ready";
  const std::vector<int64_t> pids = all_busy.get();

  host_.reset();  // From the test's thread, with the host's thread running.

  // The calls ended (cancelled with the host), no exit handler ran, and no
  // helper process is left.
  ASSERT_EQ(busy->outcomes.size(), static_cast<size_t>(kHelpers));
  for (const absl::Status& status : busy->outcomes) {
    EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  }
  EXPECT_EQ(busy->exits, 0);
  for (int64_t pid : pids) {
    EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(10)))
        << "helper " << pid << " outlived its host";
  }
}

// StopThread keeps its promise for every kind of helper: the host's thread
// exits, yet no helper dies with it (a helper's parent-death signal follows
// the thread that forked it), and each still answers once the test's thread
// runs the loop again. (That they still die with the host's process is
// host_death_test's, after a StopThread too.)
struct HelperKind {
  const char* name;
  bool sandboxed;
  bool zygote;
};

class StopThreadTest : public ::testing::TestWithParam<HelperKind> {};

TEST_P(StopThreadTest, HelpersKeepRunningAndAnswering) {
  const HelperKind kind = GetParam();
  if (kind.sandboxed && !SandboxedLaunchAvailable()) {
    GTEST_SKIP() << "no sandboxed launch on this platform";
  }
  if (kind.zygote && !ZygoteAvailable()) {
    GTEST_SKIP() << "no zygote in this build or on this platform";
  }
  Host::Options options;
  options.roles = &testing::TestRoleRegistry();
  options.forward_helper_output = false;
  options.sandbox_helpers = kind.sandboxed;
  options.fork_helpers_from_zygote = kind.zygote;
  absl::StatusOr<std::unique_ptr<Host>> created = Host::Create(options);
  ASSERT_TRUE(created.ok()) << created.status();
  Host* host = created->get();
  std::vector<ExitInfo> exits;  // The host's thread, then the test's.
  host->SetExitHandler(
      [&exits](const ExitInfo& exit) { exits.push_back(exit); });
  ASSERT_TRUE(host->StartThread().ok());
  std::string host_thread;  // Set before `ready`.
  auto ready = std::make_shared<std::promise<absl::StatusOr<uint64_t>>>();
  host->Post([host, ready, &host_thread] {
    host_thread = testing::CurrentThreadName();
    absl::StatusOr<HelperProcess*> launched = host->Launch(
        "renderer", [ready](absl::StatusOr<HelperProcess*> helper) {
          if (helper.ok()) {
            ready->set_value((*helper)->id());
          } else {
            ready->set_value(helper.status());
          }
        });
    if (!launched.ok()) ready->set_value(launched.status());
  });
  std::future<absl::StatusOr<uint64_t>> ready_id = ready->get_future();
  ASSERT_EQ(ready_id.wait_for(kWait), std::future_status::ready);
  absl::StatusOr<uint64_t> id = ready_id.get();
  ASSERT_TRUE(id.ok()) << id.status();

  host->StopThread();
  // Joined is not yet gone: the kernel sends the parent-death signals of a
  // thread's children after its joiners may return, on its way out.
  ASSERT_TRUE(testing::WaitForThreadGone(host_thread, absl::Seconds(10)));

  // Back on the test's thread, which runs the loop itself now.
  HelperProcess* helper = host->FindHelper(*id);
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->sandboxed(), kind.sandboxed);
  const int64_t pid = helper->pid();
  ASSERT_GT(pid, 0);
  std::vector<int64_t> processes = {pid};
  const int64_t parent = testing::ParentProcessOf(pid);
  if (parent > 0 && parent != static_cast<int64_t>(uv_os_getpid())) {
    processes.push_back(parent);  // The namespace's init.
  }
  for (int round = 0; round < 2; ++round) {
    std::optional<absl::StatusOr<roles::LayoutTextResponse>> reply;
    roles::LayoutTextRequest request;
    request.set_text("still here");
    request.set_width(20);
    helper->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
        request, absl::Now() + absl::Seconds(10),
        [&reply, host](absl::StatusOr<roles::LayoutTextResponse> response) {
          reply = std::move(response);
          host->Quit();
        });
    if (!reply.has_value()) host->Run();  // Bounded by the call's deadline.
    ASSERT_TRUE(reply.has_value());
    ASSERT_TRUE(reply->ok()) << reply->status();
    EXPECT_EQ((*reply)->word_count(), 2u);
    for (int64_t process : processes) {
      EXPECT_FALSE(testing::ProcessDoomed(process)) << process << " is dying";
    }
  }
  EXPECT_TRUE(exits.empty()) << exits.front().Describe();

  created->reset();  // Kills and reaps it.
  EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(10)));
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, StopThreadTest,
    ::testing::Values(HelperKind{"execd", false, false},
                      HelperKind{"zygote_forked", false, true},
                      HelperKind{"sandboxed", true, false}),
    [](const ::testing::TestParamInfo<HelperKind>& info) {
      return std::string(info.param.name);
    });

// Holds the launcher thread (launcher_thread.h) for the test's scope, and
// lets it go however the test ends.
class HeldLauncher {
 public:
  HeldLauncher() { SetLauncherThreadGateForTesting(false); }
  ~HeldLauncher() { Release(); }
  void Release() { SetLauncherThreadGateForTesting(true); }
};

// What a sandboxed launch held on the launcher thread reports, from the
// host's thread.
struct HeldLaunch {
  std::promise<bool> served;  // A task posted after Launch ran: started yet?
  std::promise<absl::Status> ready;
  std::vector<LifecycleStage> stages;  // The host's thread, then the test's.
  std::vector<ExitInfo> exits;         // Ditto.
  bool started = false;                // The host's thread.
  bool launched = false;               // Ditto.
};

// Whether a sandboxed launch waits for its helper on the launcher thread.
// Windows' does not: CreateProcessAsUser returns once the process exists,
// so it is made on the loop at once (sandboxed_launcher_win.cc).
bool SandboxedLaunchGoesThroughTheLauncherThread() {
#if defined(_WIN32)
  return false;
#else
  return true;
#endif
}

class SandboxedLaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SandboxedLaunchAvailable()) {
      GTEST_SKIP() << "no sandboxed launch on this platform";
    }
    if (!SandboxedLaunchGoesThroughTheLauncherThread()) {
      GTEST_SKIP() << "a sandboxed launch here is made at once, on the loop";
    }
    Host::Options options;
    options.roles = &testing::TestRoleRegistry();
    options.forward_helper_output = false;
    options.sandbox_helpers = true;
    absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
    held_ = std::make_shared<HeldLaunch>();
    auto held = held_;
    host_->SetLifecycleHandler([held](const LifecycleEvent& event) {
      held->stages.push_back(event.stage);
      held->started |= event.stage == LifecycleStage::kStarted;
    });
    host_->SetExitHandler(
        [held](const ExitInfo& exit) { held->exits.push_back(exit); });
  }

  // Launches a sandboxed renderer from the host's thread, then posts a task
  // that says whether the launch had started by the time it ran, and waits
  // for that: nothing if the host's loop did not get to it in time.
  std::optional<bool> LaunchThenPost() {
    Host* host = host_.get();
    auto held = held_;
    host->Post([host, held] {
      absl::StatusOr<HelperProcess*> launched = host->Launch(
          "renderer", [held](absl::StatusOr<HelperProcess*> helper) {
            held->ready.set_value(helper.status());
          });
      held->launched = launched.ok();
      if (!launched.ok()) held->ready.set_value(launched.status());
    });
    host->Post([held] { held->served.set_value(held->started); });
    std::future<bool> served = held->served.get_future();
    if (served.wait_for(std::chrono::seconds(10)) !=
        std::future_status::ready) {
      return std::nullopt;
    }
    return served.get();
  }

  // Starts the host's thread, holds the launcher thread, and launches: the
  // loop serves a task posted after the launch before the launch has run.
  void StartHeldLaunch() {
    ASSERT_TRUE(host_->StartThread().ok());
    launcher_.emplace();
    const std::optional<bool> started = LaunchThenPost();
    ASSERT_TRUE(started.has_value())
        << "the host's loop is blocked by the sandboxed launch";
    EXPECT_FALSE(*started) << "the launch did not wait for the launcher";
  }

  // Lets the held launch go on and waits for the helper to be ready.
  void ReleaseAndExpectReady() {
    launcher_->Release();
    std::future<absl::Status> ready = held_->ready.get_future();
    ASSERT_EQ(ready.wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(ready.get().ok());
  }

  std::unique_ptr<Host> host_;
  std::shared_ptr<HeldLaunch> held_;
  // After `host_`: released before the host goes.
  std::optional<HeldLauncher> launcher_;
};

TEST_F(SandboxedLaunchTest, TheLoopKeepsServingWhileTheLaunchWaitsForItsExec) {
  ASSERT_NO_FATAL_FAILURE(StartHeldLaunch());
  ASSERT_NO_FATAL_FAILURE(ReleaseAndExpectReady());
  host_->StopThread();
  EXPECT_TRUE(held_->launched);
  ASSERT_EQ(host_->helpers().size(), 1u);
  EXPECT_GT(host_->helpers()[0]->pid(), 0);
  EXPECT_TRUE(held_->exits.empty());
}

// How many cgroups this process's helpers have (Linux: bulkhead/<host pid>.
// <start>-<helper id> under each hierarchy that has one); 0 elsewhere.
int OwnCgroups() {
  int count = 0;
#if defined(BULKHEAD_OS_LINUX)
  const std::string prefix = absl::StrCat(::getpid(), ".");
  for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified",
                            "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"}) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(
             absl::StrCat(mount, "/bulkhead"), error)) {
      if (absl::StartsWith(entry.path().filename().string(), prefix)) ++count;
    }
  }
#endif
  return count;
}

// Making a helper's cgroup first reclaims what dead hosts left (seconds, at
// worst): it happens on the launcher thread, never on the loop.
TEST_F(SandboxedLaunchTest, TheCgroupIsMadeOnTheLauncherThread) {
  const int before = OwnCgroups();
  ASSERT_NO_FATAL_FAILURE(StartHeldLaunch());
  EXPECT_EQ(OwnCgroups(), before) << "the loop made the cgroup";
  ASSERT_NO_FATAL_FAILURE(ReleaseAndExpectReady());
  const int after = OwnCgroups();
  host_->StopThread();
  if (after == before) GTEST_SKIP() << "no writable cgroup here";
}

TEST_F(SandboxedLaunchTest, AShutdownCancelsALaunchStillOnItsWayOnce) {
  ASSERT_NO_FATAL_FAILURE(StartHeldLaunch());
  auto shut_down = std::make_shared<std::promise<void>>();
  Host* host = host_.get();
  host_->Post([host, shut_down] {
    host->Shutdown(absl::Seconds(2), [shut_down] { shut_down->set_value(); });
  });
  // Ends while the launcher still holds the launch: nothing waits for it.
  ASSERT_EQ(shut_down->get_future().wait_for(kWait), std::future_status::ready);
  launcher_->Release();
  // A task run by the launcher thread after the cancelled launch's turn.
  RunOnLauncherThread([] {});
  host_->StopThread();
  std::future<absl::Status> ready = held_->ready.get_future();
  ASSERT_EQ(ready.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_FALSE(ready.get().ok());
  ASSERT_EQ(held_->exits.size(), 1u);
  EXPECT_EQ(held_->exits[0].kind, ExitKind::kHostShutdown)
      << held_->exits[0].Describe();
  EXPECT_EQ(held_->exits[0].pid, 0);
  EXPECT_THAT(held_->stages, ::testing::ElementsAre(LifecycleStage::kLaunching,
                                                    LifecycleStage::kExiting,
                                                    LifecycleStage::kExited));
  EXPECT_TRUE(host_->helpers().empty());
  // The loop heard nothing more of it after the launcher let it go.
  host_->Post([host] { host->Quit(); });
  host_->Run();
  EXPECT_EQ(held_->exits.size(), 1u);
}

TEST_F(SandboxedLaunchTest, DestroyingTheHostCancelsALaunchStillOnItsWay) {
  ASSERT_NO_FATAL_FAILURE(StartHeldLaunch());
  host_.reset();
  launcher_->Release();
  RunOnLauncherThread([] {});         // After the cancelled launch's turn.
  EXPECT_TRUE(held_->exits.empty());  // No exit handler runs on destruction.
  EXPECT_THAT(held_->stages,
              ::testing::ElementsAre(LifecycleStage::kLaunching));
}

TEST(HostThreadAppLoopTest, AnAppsLoopIsTheAppsToRun) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Host::Options options;
  options.loop = &loop;
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ((*host)->StartThread().code(),
            absl::StatusCode::kFailedPrecondition);
  host->reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Once the host's thread runs the loop, the host is that thread's (debug
// builds check it): the app's thread calling a member aborts.
TEST_F(HostThreadTest, AMemberCalledFromTheAppThreadWhileTheThreadRunsAborts) {
#if !BULKHEAD_DCHECK_IS_ON
  GTEST_SKIP() << "the thread check is compiled out (NDEBUG)";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // The host has threads.
  EXPECT_DEATH(
      {
        ASSERT_TRUE(host_->StartThread().ok());
        // A posted task has run: the host's thread has used the host.
        std::promise<void> ran;
        host_->Post([&ran] { ran.set_value(); });
        ASSERT_EQ(ran.get_future().wait_for(kWait), std::future_status::ready);
        host_->helpers();
      },
      "Host::helpers called on thread .*, but the Host belongs to its loop's "
      "thread ");
#endif
}

}  // namespace
}  // namespace bulkhead
