// A fresh Host with the test roles, and event-driven waits bounded by
// deadlines, for tests that launch real helpers.
#ifndef BULKHEAD_TESTS_HOST_HOST_FIXTURE_H_
#define BULKHEAD_TESTS_HOST_HOST_FIXTURE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "tests/support/test_roles.h"

namespace bulkhead::testing {

class HostFixture : public ::testing::Test {
 protected:
  // Tests adjust the host's options here before it is created.
  virtual void ModifyOptions(Host::Options&) {}

  void SetUp() override {
    Host::Options options;
    options.roles = &TestRoleRegistry();
    // Also the grace a helper that hangs up gets before it is terminated.
    options.handshake_timeout = absl::Seconds(2);
    ModifyOptions(options);
    absl::StatusOr<std::unique_ptr<Host>> host =
        Host::Create(std::move(options));
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
    host_->SetExitHandler(
        [this](const ExitInfo& info) { exits_.push_back(info); });
  }

  // Runs the loop until `done()` or `timeout`; false on timeout.
  bool RunUntil(const std::function<bool()>& done,
                absl::Duration timeout = absl::Seconds(15)) {
    uv_timer_t timer;
    bool timed_out = false;
    uv_timer_init(host_->loop(), &timer);
    timer.data = &timed_out;
    uv_timer_start(
        &timer, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
        static_cast<uint64_t>(absl::ToInt64Milliseconds(timeout)), 0);
    while (!done() && !timed_out) uv_run(host_->loop(), UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(host_->loop(),
           UV_RUN_NOWAIT);  // Runs the close callback: `timer` is on our stack.
    return done();
  }

  // Launches `role` (with `overrides`) and waits for Ready.
  HelperProcess* LaunchReady(
      const std::string& role,
      Host::LaunchOverrides overrides = Host::LaunchOverrides()) {
    bool finished = false;
    HelperProcess* ready = nullptr;
    absl::StatusOr<HelperProcess*> launched = host_->Launch(
        role, std::move(overrides), [&](absl::StatusOr<HelperProcess*> helper) {
          finished = true;
          EXPECT_TRUE(helper.ok()) << helper.status();
          if (helper.ok()) ready = *helper;
        });
    EXPECT_TRUE(launched.ok()) << launched.status();
    if (!launched.ok()) return nullptr;
    EXPECT_TRUE(RunUntil([&] { return finished; }))
        << role << " never became ready";
    return ready;
  }

  template <typename Resp, typename Req>
  absl::StatusOr<Resp> CallAndWait(HelperProcess* helper, const Req& request,
                                   absl::Duration timeout = absl::Seconds(10)) {
    // Shared: if the test gives up waiting, the call may still complete later.
    auto result = std::make_shared<std::optional<absl::StatusOr<Resp>>>();
    helper->Call<Req, Resp>(request, absl::Now() + timeout,
                            [result](absl::StatusOr<Resp> response) {
                              *result = std::move(response);
                            });
    EXPECT_TRUE(RunUntil([&] { return result->has_value(); },
                         timeout + absl::Seconds(5)));
    if (!result->has_value()) return absl::InternalError("no answer at all");
    return **std::move(result);
  }

  const ExitInfo* WaitForExit(uint64_t helper_id) {
    auto find = [&]() -> const ExitInfo* {
      for (const ExitInfo& info : exits_) {
        if (info.helper_id == helper_id) return &info;
      }
      return nullptr;
    };
    RunUntil([&] { return find() != nullptr; });
    return find();
  }

  std::unique_ptr<Host> host_;
  std::vector<ExitInfo> exits_;
};

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_HOST_HOST_FIXTURE_H_
