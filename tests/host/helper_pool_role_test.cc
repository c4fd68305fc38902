// HelperPool and its role's restart policy, on real helpers: a pool whose
// helpers cannot start fails the role (its deaths count as the host's own
// restarts do), its tasks end with the role's failure, and with
// Host::Options::quit_when_role_fails `Run()` returns.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "host/exit_info_status.h"
#include "host/helper_pool.h"
#include "tests/host/pool_fixture.h"

namespace bulkhead::testing {
namespace {

using roles::LayoutTextRequest;
using roles::LayoutTextResponse;

// `exit7` exits with code 7 before Ready, every time: a role that cannot
// start. The host quits its loop when a role fails.
class HelperPoolRoleFailureTest : public PoolFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.quit_when_role_fails = true;
    Host::RoleOptions role;
    role.restart_policy = RestartPolicy::ForPerInputDeaths();
    options.role_options["exit7"] = role;
  }

  // Runs the host's loop with `Run()`, giving up after `limit` (Quit from a
  // timer); true when Run() returned by itself.
  bool RunReturnsWithin(absl::Duration limit) {
    uv_timer_t guard;
    struct Guard {
      Host* host;
      bool fired = false;
    } state{host_.get()};
    uv_timer_init(host_->loop(), &guard);
    guard.data = &state;
    uv_timer_start(
        &guard,
        [](uv_timer_t* timer) {
          auto* state = static_cast<Guard*>(timer->data);
          state->fired = true;
          state->host->Quit();
        },
        static_cast<uint64_t>(absl::ToInt64Milliseconds(limit)), 0);
    host_->Run();
    uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
    uv_run(host_->loop(), UV_RUN_NOWAIT);  // The close callback: on our stack.
    return !state.fired;
  }

  // Submits tasks until the role has failed: each task that fails with the
  // launch's error submits the next, so one is queued whenever a helper is
  // starting (and while the pool backs off, each fails at once).
  void SubmitUntilTheRoleFails(HelperPool& pool) {
    pool.Submit<LayoutTextRequest, LayoutTextResponse>(
        PoolWorkerRequest("echo:x"), {}, [this, &pool](Result result) {
          if (absl::IsUnavailable(result.status()) &&
              ExitInfoFromStatus(result.status()).has_value()) {
            ++launch_errors_;
            SubmitUntilTheRoleFails(pool);
            return;
          }
          other_ends_.push_back(result.status());
        });
  }

  void ExpectTheRoleFailedAndEveryTaskEnded(HelperPool& pool) {
    EXPECT_TRUE(host_->role_failed("exit7"));
    // Every task ended: the launch's error while the role lived, then the
    // one queued when it failed with the role's failure, naming it, with its
    // last helper's end attached.
    EXPECT_GT(launch_errors_, 0);
    ASSERT_EQ(other_ends_.size(), 1u);
    const absl::Status& last = other_ends_.back();
    EXPECT_EQ(last.code(), absl::StatusCode::kFailedPrecondition) << last;
    EXPECT_NE(last.message().find("role 'exit7' failed"),
              absl::string_view::npos)
        << last;
    std::optional<ExitInfo> exit = ExitInfoFromStatus(last);
    ASSERT_TRUE(exit.has_value()) << last;
    EXPECT_EQ(exit->role, "exit7");
    EXPECT_EQ(exit->exit_code, 7) << exit->Describe();
    EXPECT_FALSE(exit->was_ready);

    // A task submitted now ends at once with the same failure.
    std::optional<absl::Status> late;
    pool.Submit<LayoutTextRequest, LayoutTextResponse>(
        PoolWorkerRequest("echo:late"), {},
        [&](Result result) { late = result.status(); });
    ASSERT_TRUE(RunUntil([&] { return late.has_value(); }, absl::Seconds(5)));
    EXPECT_EQ(late->code(), absl::StatusCode::kFailedPrecondition) << *late;
    EXPECT_TRUE(ExitInfoFromStatus(*late).has_value());

    // Nothing is left running, and the pool launches no more.
    ASSERT_TRUE(RunUntil([&] { return host_->helpers().empty(); }));
    const uint64_t launches = pool.stats().launches;
    EXPECT_EQ(pool.stats().helpers, 0);
    RunUntil([] { return false; }, absl::Milliseconds(300));
    EXPECT_EQ(pool.stats().launches, launches);
    EXPECT_TRUE(host_->helpers().empty());

    // And no new pool of that role is made.
    HelperPool::Options same = PoolOptions();
    same.role = "exit7";
    EXPECT_EQ(HelperPool::Create(*host_, same).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }

  // A pool of exit7 with tasks queued, run with `Run()` until the role fails.
  void RunAPoolThatCannotStart() {
    HelperPool::Options options = PoolOptions();
    options.role = "exit7";
    options.launch_backoff = absl::Milliseconds(20);
    options.max_launch_backoff = absl::Milliseconds(200);
    std::unique_ptr<HelperPool> pool = MakePool(options);
    ASSERT_NE(pool, nullptr);
    SubmitUntilTheRoleFails(*pool);
    const absl::Time start = absl::Now();
    ASSERT_TRUE(RunReturnsWithin(absl::Seconds(20)))
        << "Run() did not return; the role failed: "
        << host_->role_failed("exit7");
    EXPECT_LT(absl::Now() - start, absl::Seconds(10));
    // The policy's limit: 5 restarts, then the 6th death fails the role.
    EXPECT_EQ(pool->stats().launch_failures, 6u);
    ExpectTheRoleFailedAndEveryTaskEnded(*pool);
  }

  int launch_errors_ = 0;
  std::vector<absl::Status> other_ends_;
};

TEST_F(HelperPoolRoleFailureTest,
       ARoleThatCannotStartFailsItsPoolsTasksAndRunReturns) {
  RunAPoolThatCannotStart();
}

// The same under the host's default restart policy (on failure, backoff,
// 5 restarts a minute), set host-wide rather than for the role.
class HelperPoolDefaultPolicyRoleFailureTest
    : public HelperPoolRoleFailureTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.quit_when_role_fails = true;
    options.default_restart_policy = RestartPolicy();
  }
};

TEST_F(HelperPoolDefaultPolicyRoleFailureTest,
       ARoleThatCannotStartFailsItsPoolsTasksAndRunReturns) {
  RunAPoolThatCannotStart();
}

// Without a restart policy for the role, the pool never fails it: it keeps
// relaunching after its back-off, and `Run()` runs on.
class HelperPoolNoPolicyTest : public PoolFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.quit_when_role_fails = true;
  }
};

TEST_F(HelperPoolNoPolicyTest, WithoutARestartPolicyTheRoleNeverFails) {
  HelperPool::Options options = PoolOptions();
  options.role = "exit7";
  options.launch_backoff = absl::Milliseconds(20);
  options.max_launch_backoff = absl::Milliseconds(40);
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(RunUntil([&] { return pool->stats().launch_failures >= 8; }));
  EXPECT_FALSE(host_->role_failed("exit7"));
}

}  // namespace
}  // namespace bulkhead::testing
