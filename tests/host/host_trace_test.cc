#include "host/host_trace.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/host/host_fixture.h"
#include "tests/support/test_roles.h"
#include "tests/support/trace_check.h"

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

// LifecycleHandler() traces each event and hands it on to the app's own
// handler, so that an app attaches the trace without giving its handler up.
TEST_F(HostTraceTest, TheLifecycleHandlerTracesAndPassesEventsOn) {
  HostTrace trace(*host_, recorder_, "test");
  std::vector<LifecycleStage> seen;
  host_->SetLifecycleHandler(trace.LifecycleHandler(
      [&](const LifecycleEvent& event) { seen.push_back(event.stage); }));
  HelperProcess* helper = LaunchReady("renderer");
  ASSERT_NE(helper, nullptr);
  EXPECT_THAT(seen,
              ElementsAre(LifecycleStage::kLaunching, LifecycleStage::kStarted,
                          LifecycleStage::kReady));
  EXPECT_THAT(Names(HelperEvents(helper->id())),
              ::testing::IsSupersetOf({"i launch", "i spawned", "i Ready"}));
}

// TraceTask: work whose helper is not known (a pool's task) is an async span
// in the host's process, ended with its status.
TEST_F(HostTraceTest, TasksAreSpansOnTheHostsTrack) {
  HostTrace trace(*host_, recorder_, "test");
  std::vector<absl::Status> results;
  auto done = [&](absl::StatusOr<int> result) {
    results.push_back(result.status());
  };
  auto ok = trace.TraceTask<int>("decode a.pgm", done);
  auto failed = trace.TraceTask<int>("decode b.pgm", done, {{"input", "b"}});
  failed(absl::AbortedError("poison"));
  ok(7);
  ASSERT_EQ(results.size(), 2u);

  const absl::StatusOr<std::string> json = recorder_.ToJson();
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<testing::ParsedTrace> parsed = testing::ParseTrace(*json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(testing::TraceProblems(*parsed), IsEmpty());
  std::vector<std::string> tasks;
  for (const TraceEvent& event : parsed->events) {
    if (event.ph != "b" && event.ph != "e") continue;
    EXPECT_EQ(event.pid, trace.HostTrack().pid);
    tasks.push_back(event.ph + " " + event.name + " " + event.Arg("status") +
                    event.Arg("input"));
  }
  EXPECT_THAT(tasks,
              ElementsAre("b decode a.pgm ", "b decode b.pgm b",
                          "e decode b.pgm ABORTED", "e decode a.pgm OK"));
}

class HostTraceRestartTest : public HostTraceTest {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
    RestartPolicy policy;
    policy.initial_backoff = absl::Milliseconds(20);
    policy.jitter = 0;
    options.default_restart_policy = policy;
  }
};

// A helper the host restarts by its restart policy: the replacement's launch
// is marked "host restart"; the first launch is not.
TEST_F(HostTraceRestartTest, AHostRestartIsMarkedOnTheReplacement) {
  HostTrace trace(*host_, recorder_, "test");
  std::vector<uint64_t> ready;
  host_->SetLifecycleHandler(
      trace.LifecycleHandler([&](const LifecycleEvent& event) {
        if (event.stage == LifecycleStage::kReady) {
          ready.push_back(event.helper_id);
        }
      }));
  HelperProcess* first = LaunchReady("renderer");
  ASSERT_NE(first, nullptr);
  const uint64_t first_id = first->id();
  first->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
  ASSERT_TRUE(RunUntil([&] { return ready.size() == 2; }))
      << "no replacement became ready";

  const std::vector<std::string> first_names = Names(HelperEvents(first_id));
  EXPECT_EQ(
      std::count(first_names.begin(), first_names.end(), "i host restart"), 0);
  const std::vector<TraceEvent> second = HelperEvents(ready[1]);
  const auto restart = std::find_if(
      second.begin(), second.end(),
      [](const TraceEvent& event) { return event.name == "host restart"; });
  ASSERT_NE(restart, second.end());
  EXPECT_EQ(restart->Arg("restarts"), "1");
  EXPECT_EQ(restart->Arg("role"), "renderer");
  EXPECT_EQ(std::count(first_names.begin(), first_names.end(), "i exit"), 1);
}

}  // namespace
}  // namespace bulkhead
