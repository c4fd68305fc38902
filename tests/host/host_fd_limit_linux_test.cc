// Large messages when a side is at its descriptor limit, with real helpers:
// the shared-memory region's fd cannot be made or received there, and the
// message degrades (through the socket, or a RESOURCE_EXHAUSTED answer)
// instead of ending the helper as a protocol violation. And the host raises
// its soft limit to the hard one at start.
#include <sys/resource.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/fd_limit.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/fd_table_filler.h"

namespace bulkhead {
namespace {

constexpr size_t kLarge = 1u << 20;  // Over the shared-memory threshold.

class HostFdLimitTest : public testing::HostFixture {
 protected:
  absl::StatusOr<roles::LayoutTextResponse> Call(HelperProcess* helper,
                                                 const std::string& text) {
    roles::LayoutTextRequest request;
    request.set_text(text);
    return CallAndWait<roles::LayoutTextResponse>(helper, request,
                                                  absl::Seconds(20));
  }

  // A large call's answer at a descriptor limit: the reply it asked for, or
  // RESOURCE_EXHAUSTED; never the helper's end.
  void ExpectDeliveredOrExhausted(
      const absl::StatusOr<roles::LayoutTextResponse>& answer,
      const std::string& expected_line) {
    if (answer.ok()) {
      ASSERT_EQ(answer->lines_size(), 1);
      EXPECT_TRUE(answer->lines(0) == expected_line);
    } else {
      EXPECT_TRUE(absl::IsResourceExhausted(answer.status()))
          << answer.status();
    }
  }

  void ExpectStillServing(HelperProcess* helper) {
    absl::StatusOr<roles::LayoutTextResponse> small = Call(helper, "small");
    ASSERT_TRUE(small.ok()) << small.status();
    EXPECT_EQ(small->lines(0), "small");
    EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
    EXPECT_TRUE(exits_.empty()) << exits_.front().Describe();
  }
};

TEST_F(HostFdLimitTest, AHelperAtItsLimitAnswersLargeCallsAndStaysAlive) {
  HelperProcess* helper = LaunchReady("fd-starved");
  ASSERT_NE(helper, nullptr);
  ASSERT_TRUE(helper->channel().can_pass_handles());
  absl::StatusOr<roles::LayoutTextResponse> starved = Call(helper, "starve");
  ASSERT_TRUE(starved.ok()) << starved.status();
  const std::string large(kLarge, 'q');
  // The request's region cannot be received there: at worst this call fails.
  ExpectDeliveredOrExhausted(Call(helper, large), large);
  // The next large ones go through the socket, both ways (the helper cannot
  // make a region for its large reply either).
  absl::StatusOr<roles::LayoutTextResponse> again = Call(helper, large);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->lines(0) == large);
  ExpectStillServing(helper);
}

TEST_F(HostFdLimitTest, TheHostAtItsLimitFailsOneCallAndKeepsTheHelper) {
  HelperProcess* helper = LaunchReady("fd-starved");
  ASSERT_NE(helper, nullptr);
  testing::FdTableFiller filler;
  ASSERT_TRUE(filler.Fill().ok());
  const std::string large_reply = absl::StrCat("big:", kLarge);
  // The reply's region cannot be received here.
  absl::StatusOr<roles::LayoutTextResponse> first = Call(helper, large_reply);
  ExpectDeliveredOrExhausted(first, std::string(kLarge, 'b'));
  EXPECT_EQ(helper->channel().messages_undelivered(), first.ok() ? 0u : 1u);
  absl::StatusOr<roles::LayoutTextResponse> again = Call(helper, large_reply);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->lines(0).size(), kLarge);
  // No region can be made here for a large request: the socket carries it.
  const std::string large(kLarge, 'r');
  absl::StatusOr<roles::LayoutTextResponse> echoed = Call(helper, large);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_TRUE(echoed->lines(0) == large);
  ExpectStillServing(helper);
  filler.Release();
}

TEST(HostFdLimitStartTest, CreateRaisesTheSoftLimitToTheHardOne) {
  rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  const rlim_t expected =
      std::min<rlim_t>(saved.rlim_max, static_cast<rlim_t>(kMaxRaisedFdLimit));
  if (expected <= 256) GTEST_SKIP() << "hard limit too low to tell";
  rlimit lowered = saved;
  lowered.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(Host::Options());
  rlimit now;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ(now.rlim_cur, expected);
}

}  // namespace
}  // namespace bulkhead
