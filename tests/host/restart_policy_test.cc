#include "host/restart_policy.h"

#include "gtest/gtest.h"

namespace bulkhead {
namespace {

ExitInfo Exit(ExitKind kind, absl::Duration uptime = absl::Seconds(1)) {
  ExitInfo info;
  info.kind = kind;
  info.uptime = uptime;
  return info;
}

RestartPolicy NoJitter() {
  RestartPolicy policy;
  policy.jitter = 0;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.multiplier = 2;
  policy.max_backoff = absl::Seconds(1);
  policy.max_restarts = 100;
  return policy;
}

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);

TEST(RestartTrackerTest, BackoffGrowsGeometricallyUpToTheMaximum) {
  RestartTracker tracker(NoJitter());
  const absl::Duration expected[] = {
      absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(400),
      absl::Milliseconds(800), absl::Seconds(1),        absl::Seconds(1)};
  absl::Time now = kStart;
  for (absl::Duration want : expected) {
    RestartTracker::Decision d =
        tracker.OnExit(Exit(ExitKind::kCrashed), now, 0.5);
    ASSERT_TRUE(d.restart);
    EXPECT_EQ(d.delay, want);
    now += absl::Milliseconds(10);
  }
  EXPECT_EQ(tracker.restarts(), 6);
}

TEST(RestartTrackerTest, JitterStaysWithinItsBand) {
  RestartPolicy policy = NoJitter();
  policy.jitter = 0.25;
  for (double r : {0.0, 0.5, 0.999}) {
    RestartTracker tracker(policy);
    RestartTracker::Decision d =
        tracker.OnExit(Exit(ExitKind::kCrashed), kStart, r);
    EXPECT_GE(d.delay, absl::Milliseconds(75));
    EXPECT_LE(d.delay, absl::Milliseconds(125));
  }
}

TEST(RestartTrackerTest, IntensityLimitFailsTheRole) {
  RestartPolicy policy = NoJitter();
  policy.max_restarts = 3;
  policy.window = absl::Seconds(10);
  RestartTracker tracker(policy);
  absl::Time now = kStart;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(tracker.OnExit(Exit(ExitKind::kCrashed), now, 0.5).restart);
    now += absl::Seconds(1);
  }
  RestartTracker::Decision d =
      tracker.OnExit(Exit(ExitKind::kCrashed), now, 0.5);
  EXPECT_FALSE(d.restart);
  EXPECT_TRUE(d.role_failed);
  EXPECT_TRUE(tracker.failed());
  // Failed stays failed.
  EXPECT_FALSE(
      tracker.OnExit(Exit(ExitKind::kCrashed), now + absl::Hours(1), 0.5)
          .restart);
}

TEST(RestartTrackerTest, RestartsOutsideTheWindowDoNotCount) {
  RestartPolicy policy = NoJitter();
  policy.max_restarts = 2;
  policy.window = absl::Seconds(10);
  RestartTracker tracker(policy);
  absl::Time now = kStart;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(tracker.OnExit(Exit(ExitKind::kCrashed), now, 0.5).restart)
        << i;
    now += absl::Seconds(6);  // At most two in any ten seconds.
  }
}

TEST(RestartTrackerTest, AHealthyRunResetsTheBackoff) {
  RestartTracker tracker(NoJitter());
  tracker.OnExit(Exit(ExitKind::kCrashed), kStart, 0.5);
  tracker.OnExit(Exit(ExitKind::kCrashed), kStart, 0.5);
  RestartTracker::Decision d =
      tracker.OnExit(Exit(ExitKind::kCrashed, absl::Minutes(5)),
                     kStart + absl::Minutes(5), 0.5);
  EXPECT_EQ(d.delay, absl::Milliseconds(100));
}

TEST(RestartTrackerTest, ModesDecideWhatCountsAsAFailure) {
  RestartPolicy never = NoJitter();
  never.mode = RestartPolicy::Mode::kNever;
  EXPECT_FALSE(RestartTracker(never)
                   .OnExit(Exit(ExitKind::kCrashed), kStart, 0.5)
                   .restart);

  RestartPolicy on_failure = NoJitter();
  EXPECT_FALSE(RestartTracker(on_failure)
                   .OnExit(Exit(ExitKind::kNormalExit), kStart, 0.5)
                   .restart);
  EXPECT_TRUE(RestartTracker(on_failure)
                  .OnExit(Exit(ExitKind::kErrorExit), kStart, 0.5)
                  .restart);

  RestartPolicy always = NoJitter();
  always.mode = RestartPolicy::Mode::kAlways;
  EXPECT_TRUE(RestartTracker(always)
                  .OnExit(Exit(ExitKind::kNormalExit), kStart, 0.5)
                  .restart);
  EXPECT_FALSE(RestartTracker(always)
                   .OnExit(Exit(ExitKind::kHostShutdown), kStart, 0.5)
                   .restart);
}

ExitInfo DiedAfterReady(ExitKind kind) {
  ExitInfo info = Exit(kind);
  info.was_ready = true;
  return info;
}

// A decoding service: every input that kills its helper is a death after
// Ready. Under the default policy those back off and fail the role; under
// per_input_deaths they are replaced at once, however many.
TEST(RestartTrackerTest, PerInputDeathsAfterReadyRestartAtOnceWithoutLimit) {
  RestartPolicy policy = RestartPolicy::ForPerInputDeaths();
  policy.jitter = 0;
  RestartTracker tracker(policy);
  absl::Time now = kStart;
  for (int i = 0; i < 50; ++i) {
    RestartTracker::Decision d =
        tracker.OnExit(DiedAfterReady(ExitKind::kCrashed), now, 0.5);
    ASSERT_TRUE(d.restart) << i << ": " << d.reason;
    EXPECT_EQ(d.delay, absl::ZeroDuration()) << i;
    now += absl::Milliseconds(10);
  }
  EXPECT_FALSE(tracker.failed());
  EXPECT_EQ(tracker.restarts(), 50);

  RestartPolicy by_default;
  by_default.jitter = 0;
  RestartTracker plain(by_default);
  RestartTracker::Decision first =
      plain.OnExit(DiedAfterReady(ExitKind::kCrashed), kStart, 0.5);
  EXPECT_GT(first.delay, absl::ZeroDuration());
}

// Deaths before Ready (a helper that cannot start) still back off and count.
TEST(RestartTrackerTest, PerInputDeathsBeforeReadyBackOffAndCount) {
  RestartPolicy policy = RestartPolicy::ForPerInputDeaths();
  policy.jitter = 0;
  policy.max_restarts = 3;
  RestartTracker tracker(policy);
  absl::Time now = kStart;
  absl::Duration last = absl::ZeroDuration();
  for (int i = 0; i < 3; ++i) {
    // Deaths after Ready in between do not count, and show that the helper
    // can start: the backoff starts over.
    ASSERT_TRUE(
        tracker.OnExit(DiedAfterReady(ExitKind::kCrashed), now, 0.5).restart);
    RestartTracker::Decision d =
        tracker.OnExit(Exit(ExitKind::kLaunchFailed), now, 0.5);
    ASSERT_TRUE(d.restart) << i;
    EXPECT_GT(d.delay, absl::ZeroDuration());
    last = d.delay;
    now += absl::Milliseconds(10);
  }
  EXPECT_EQ(last, policy.initial_backoff);
  RestartTracker::Decision over =
      tracker.OnExit(Exit(ExitKind::kLaunchFailed), now, 0.5);
  EXPECT_FALSE(over.restart);
  EXPECT_TRUE(over.role_failed);
}

}  // namespace
}  // namespace bulkhead
