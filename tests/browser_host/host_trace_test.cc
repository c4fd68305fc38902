#include "browser_host/host_trace.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/browser_host/trace_check.h"
#include "tests/host/host_fixture.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TraceEvent;

class HostTraceTest : public testing::HostFixture {
 protected:
  void TearDown() override { host_->SetLifecycleHandler(nullptr); }

  // The recorder's trace, checked, and the events on `helper_id`'s track.
  std::vector<TraceEvent> HelperEvents(uint64_t helper_id) {
    const absl::StatusOr<std::string> json = recorder_.ToJson();
    EXPECT_TRUE(json.ok()) << json.status();
    if (!json.ok()) return {};
    absl::StatusOr<testing::ParsedTrace> trace = testing::ParseTrace(*json);
    EXPECT_TRUE(trace.ok()) << trace.status();
    if (!trace.ok()) return {};
    EXPECT_THAT(testing::TraceProblems(*trace), IsEmpty());
    std::vector<TraceEvent> events;
    for (const TraceEvent& event : trace->events) {
      if (event.ph != "M" &&
          event.pid == HostTrace::HelperTrack(helper_id).pid) {
        events.push_back(event);
      }
    }
    return events;
  }

  static std::vector<std::string> Names(const std::vector<TraceEvent>& events) {
    std::vector<std::string> names;
    for (const TraceEvent& event : events) {
      names.push_back(event.ph + " " + event.name);
    }
    return names;
  }

  TraceRecorder recorder_;
};

// The host stops before its helper: the file still closes every span.
TEST_F(HostTraceTest, AHelperStillRunningIsClosedAtTheEnd) {
  HostTrace trace(*host_, recorder_, "test");
  host_->SetLifecycleHandler(
      [&](const LifecycleEvent& event) { trace.OnLifecycle(event); });
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  std::optional<absl::StatusOr<absl::Duration>> rtt;
  helper->Ping(absl::Now() + absl::Seconds(5),
               trace.TraceCall<absl::Duration>(
                   *helper, "ping", [&](absl::StatusOr<absl::Duration> result) {
                     rtt = result;
                   }));
  ASSERT_TRUE(RunUntil([&] { return rtt.has_value(); }));
  trace.OnAction(*helper, "poke");

  const std::vector<TraceEvent> events = HelperEvents(helper->id());
  EXPECT_THAT(
      Names(events),
      ElementsAre("B renderer-1", "i launch", "B starting", "i spawned",
                  "i Hello", "i Welcome", "i Ready", "E starting", "B ready",
                  "b ping", "e ping", "i poke", "E ready", "E renderer-1"));
  EXPECT_EQ(events[10].Arg("status"), "OK");
  EXPECT_EQ(events[12].Arg("closed_at_end"), "true");
  EXPECT_EQ(events[3].Arg("pid"), std::to_string(helper->pid()));
}

// A helper that ends while starting: no Ready, its exit, balanced spans.
TEST_F(HostTraceTest, AHelperThatExitsWhileStarting) {
  HostTrace trace(*host_, recorder_, "test");
  host_->SetLifecycleHandler(
      [&](const LifecycleEvent& event) { trace.OnLifecycle(event); });
  absl::StatusOr<HelperProcess*> launched = host_->Launch("exit7", nullptr);
  ASSERT_TRUE(launched.ok()) << launched.status();
  const uint64_t id = (*launched)->id();
  ASSERT_NE(WaitForExit(id), nullptr);

  const std::vector<TraceEvent> events = HelperEvents(id);
  std::vector<std::string> names = Names(events);
  ASSERT_GE(names.size(), 6u);
  EXPECT_EQ(names.front(), "B exit7-1");
  EXPECT_EQ(names.back(), "E exit7-1");
  const auto exit = std::find(names.begin(), names.end(), "i exit");
  ASSERT_NE(exit, names.end());
  const TraceEvent& exit_event = events[exit - names.begin()];
  EXPECT_EQ(exit_event.Arg("kind"), "error-exit");
  EXPECT_EQ(exit_event.Arg("exit_code"), "7");
  EXPECT_EQ(std::find(names.begin(), names.end(), "i Ready"), names.end());
}

// A helper's own words (the last stderr line of one that left before Ready,
// in its ExitInfo) with any bytes: the trace stays valid, UTF-8 kept and the
// rest U+FFFD.
TEST_F(HostTraceTest, AHelpersWordsComeOutAsValidUtf8) {
  HostTrace trace(*host_, recorder_, "test");
  host_->SetLifecycleHandler(
      [&](const LifecycleEvent& event) { trace.OnLifecycle(event); });
  absl::StatusOr<HelperProcess*> launched = host_->Launch("bad-words", nullptr);
  ASSERT_TRUE(launched.ok()) << launched.status();
  const uint64_t id = (*launched)->id();
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  ASSERT_EQ(exit->kind, ExitKind::kLaunchFailed) << exit->Describe();

  const std::vector<TraceEvent> events = HelperEvents(id);
  const auto found = std::find_if(
      events.begin(), events.end(),
      [](const TraceEvent& event) { return event.name == "exit"; });
  ASSERT_NE(found, events.end());
  EXPECT_EQ(found->Arg("kind"), "launch-failed");
  EXPECT_THAT(found->Arg("launch_status"),
              HasSubstr(std::string(testing::kBadWordsAsUtf8)));
  EXPECT_THAT(found->Arg("description"),
              HasSubstr(std::string(testing::kBadWordsAsUtf8)));
}

// Calls that complete after the HostTrace is gone still complete, untraced;
// their spans are closed at the end.
TEST_F(HostTraceTest, CallsOutliveTheTrace) {
  auto trace = std::make_unique<HostTrace>(*host_, recorder_, "test");
  host_->SetLifecycleHandler(
      [&](const LifecycleEvent& event) { trace->OnLifecycle(event); });
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  host_->SetLifecycleHandler(nullptr);
  std::optional<absl::StatusOr<absl::Duration>> rtt;
  helper->Ping(absl::Now() + absl::Seconds(5),
               trace->TraceCall<absl::Duration>(
                   *helper, "ping", [&](absl::StatusOr<absl::Duration> result) {
                     rtt = result;
                   }));
  trace.reset();
  ASSERT_TRUE(RunUntil([&] { return rtt.has_value(); }));
  EXPECT_TRUE(rtt->ok()) << rtt->status();
  const std::vector<TraceEvent> events = HelperEvents(helper->id());
  ASSERT_FALSE(events.empty());
  int pings = 0;
  for (const TraceEvent& event : events) {
    if (event.ph == "e" && event.name == "ping") {
      EXPECT_EQ(event.Arg("closed_at_end"), "true");
      ++pings;
    }
  }
  EXPECT_EQ(pings, 1);
}

}  // namespace
}  // namespace bulkhead
