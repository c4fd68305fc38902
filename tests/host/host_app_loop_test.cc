// A Host on a libuv loop the test owns and runs itself (Host::Options::loop):
// real helpers, tasks posted from another thread (the tsan preset checks the
// hand-over), and a host destroyed while its helpers are busy. Every wait is on
// an event, bounded by a deadline.
#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "sample_roles/work.pb.h"
#include "tests/support/process_probe.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

// A loop the test owns, and a host on it.
class HostAppLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    Host::Options options;
    options.loop = &loop_;
    options.roles = &testing::TestRoleRegistry();
    absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
    host_->SetExitHandler(
        [this](const ExitInfo& exit) { exits_.push_back(exit); });
  }

  void TearDown() override {
    host_.reset();
    // The host's handles are freed by close callbacks on the app's loop: once
    // they ran, nothing is left and the loop closes.
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left on the app's loop";
  }

  // Runs the app's loop the way an app would (uv_run) until something calls
  // uv_stop, or `timeout` passes; false on timeout.
  bool RunAppLoop(absl::Duration timeout = absl::Seconds(20)) {
    uv_timer_t deadline;
    bool timed_out = false;
    uv_timer_init(&loop_, &deadline);
    deadline.data = &timed_out;
    uv_timer_start(
        &deadline,
        [](uv_timer_t* timer) {
          *static_cast<bool*>(timer->data) = true;
          uv_stop(timer->loop);
        },
        static_cast<uint64_t>(absl::ToInt64Milliseconds(timeout)), 0);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);  // The close callback: `deadline` is ours.
    return !timed_out;
  }

  uv_loop_t loop_;
  std::unique_ptr<Host> host_;
  std::vector<ExitInfo> exits_;
};

TEST_F(HostAppLoopTest, HostUsesTheAppsLoop) {
  EXPECT_EQ(host_->loop(), &loop_);
}

TEST_F(HostAppLoopTest, RealHelperAnswersWhileAnotherThreadPosts) {
  constexpr int kPosts = 200;
  int tasks_run = 0;  // Loop thread only.
  std::thread poster;
  std::optional<absl::StatusOr<roles::LayoutTextResponse>> reply;
  bool shut_down = false;
  int64_t pid = 0;  // Known once spawned: a sandboxed launch ends later.

  absl::StatusOr<HelperProcess*> launched =
      host_->Launch("renderer", [&](absl::StatusOr<HelperProcess*> helper) {
        ASSERT_TRUE(helper.ok()) << helper.status();
        pid = (*helper)->pid();
        const uint64_t id = (*helper)->id();
        // Another thread hands the work to the loop thread through Post; the
        // last task calls the helper.
        poster = std::thread([this, id, &tasks_run, &reply, &shut_down] {
          for (int i = 1; i <= kPosts; ++i) {
            host_->Post([this, i, id, &tasks_run, &reply, &shut_down] {
              EXPECT_EQ(++tasks_run, i) << "tasks run in the order posted";
              if (i != kPosts) return;
              HelperProcess* renderer = host_->FindHelper(id);
              ASSERT_NE(renderer, nullptr);
              roles::LayoutTextRequest request;
              request.set_text("posted from another thread");
              request.set_width(8);
              renderer
                  ->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
                      request, absl::Now() + absl::Seconds(10),
                      [&, this](absl::StatusOr<roles::LayoutTextResponse> r) {
                        reply = std::move(r);
                        host_->Shutdown(absl::Seconds(2), [&] {
                          shut_down = true;
                          uv_stop(&loop_);
                        });
                      });
            });
          }
        });
      });
  ASSERT_TRUE(launched.ok()) << launched.status();

  EXPECT_TRUE(RunAppLoop());
  if (poster.joinable()) poster.join();
  EXPECT_EQ(tasks_run, kPosts);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->ok()) << reply->status();
  EXPECT_EQ((*reply)->word_count(), 4u);
  EXPECT_TRUE(shut_down);
  ASSERT_EQ(exits_.size(), 1u);
  EXPECT_EQ(exits_[0].kind, ExitKind::kHostShutdown) << exits_[0].Describe();
  EXPECT_GT(pid, 0);
  EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(10)));
}

TEST_F(HostAppLoopTest, DestroyedWhileHelpersAreBusyLeavesNoProcess) {
  constexpr int kHelpers = 2;
  std::vector<int64_t> pids;
  std::vector<HelperProcess*> ready;
  // Shared: the calls complete when the host is destroyed, after this scope's
  // waits.
  auto outcomes = std::make_shared<std::vector<absl::Status>>();
  for (int i = 0; i < kHelpers; ++i) {
    absl::StatusOr<HelperProcess*> launched =
        host_->Launch("stall", [&](absl::StatusOr<HelperProcess*> helper) {
          ASSERT_TRUE(helper.ok()) << helper.status();
          ready.push_back(*helper);
          // Known once spawned: a sandboxed launch ends after Launch.
          pids.push_back((*helper)->pid());
          // Busy: the stall role blocks inside this call's handler for good.
          roles::LayoutTextRequest request;
          request.set_text("never answered");
          request.set_width(10);
          (*helper)->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
              request, absl::Now() + absl::Minutes(5),
              [outcomes](absl::StatusOr<roles::LayoutTextResponse> r) {
                outcomes->push_back(r.status());
              });
          if (static_cast<int>(ready.size()) == kHelpers) uv_stop(&loop_);
        });
    ASSERT_TRUE(launched.ok()) << launched.status();
  }
  ASSERT_TRUE(RunAppLoop()) << "the helpers never became ready";
  // Let the requests reach the helpers (written out, nothing queued).
  for (HelperProcess* helper : ready) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (helper->channel().queued_bytes() > 0 && absl::Now() < deadline) {
      uv_run(&loop_, UV_RUN_ONCE);
    }
    EXPECT_EQ(helper->channel().queued_bytes(), 0u);
    EXPECT_EQ(helper->channel().pending_calls(), 1u);
  }

  host_.reset();

  // The calls ended (cancelled with the host), no exit handler ran, and no
  // helper process is left.
  ASSERT_EQ(outcomes->size(), static_cast<size_t>(kHelpers));
  for (const absl::Status& status : *outcomes) {
    EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  }
  EXPECT_TRUE(exits_.empty());
  ASSERT_EQ(pids.size(), static_cast<size_t>(kHelpers));
  for (int64_t pid : pids) {
    EXPECT_GT(pid, 0);
    EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(10)))
        << "helper " << pid << " outlived its host";
  }
}

}  // namespace
}  // namespace bulkhead
