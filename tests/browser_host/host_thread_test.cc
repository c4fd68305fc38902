// Host::StartThread: the host's loop on a thread it owns, driven from the
// test's thread only through Post, with results handed back through promises
// (the tsan preset checks every hand-over). Real helpers; every wait is on an
// event, bounded by a deadline.
#include <uv.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "browser_host/host.h"
#include "gtest/gtest.h"
#include "ipc/proto/work.pb.h"
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
  std::promise<absl::StatusOr<ipc::LayoutTextResponse>> reply;
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
          ipc::LayoutTextRequest request;
          request.set_text("from another thread");
          request.set_width(8);
          (*helper)->Call<ipc::LayoutTextRequest, ipc::LayoutTextResponse>(
              request, absl::Now() + absl::Seconds(10),
              [outcome](absl::StatusOr<ipc::LayoutTextResponse> response) {
                outcome->reply.set_value(std::move(response));
              });
        });
    if (launched.ok()) {
      outcome->pid = (*launched)->pid();
    } else {
      outcome->reply.set_value(launched.status());
    }
  });
  std::future<absl::StatusOr<ipc::LayoutTextResponse>> reply =
      outcome->reply.get_future();
  ASSERT_EQ(reply.wait_for(kWait), std::future_status::ready);
  absl::StatusOr<ipc::LayoutTextResponse> response = reply.get();
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
            ipc::LayoutTextRequest request;
            request.set_text("never answered");
            request.set_width(10);
            (*helper)->Call<ipc::LayoutTextRequest, ipc::LayoutTextResponse>(
                request, absl::Now() + absl::Minutes(5),
                [busy](absl::StatusOr<ipc::LayoutTextResponse> r) {
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

}  // namespace
}  // namespace bulkhead
