// `browser_host --trace`, run for real: a crash and its restart, read back
// from the trace file.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/file_contents.h"
#include "tests/support/run_process.h"
#include "tests/support/trace_check.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::TraceEvent;

// A trace file in the test's temporary directory, removed afterwards.
class TraceFile {
 public:
  explicit TraceFile(const std::string& name)
      : path_(::testing::TempDir() + name) {}
  ~TraceFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One helper's events, in file order, found by its thread's name
// ("renderer-1 (pid N)").
struct HelperTrack {
  int64_t pid = -1;
  std::vector<const TraceEvent*> events;

  // The first event named `name` (and of phase `ph` when given).
  const TraceEvent* Find(const std::string& name,
                         const std::string& ph = "") const {
    for (const TraceEvent* event : events) {
      if (event->name == name && (ph.empty() || event->ph == ph)) return event;
    }
    return nullptr;
  }
};

std::map<std::string, HelperTrack> HelperTracks(
    const testing::ParsedTrace& trace) {
  std::map<std::string, HelperTrack> tracks;  // By helper name.
  std::map<int64_t, std::string> names;       // By pid.
  for (const TraceEvent& event : trace.events) {
    if (event.ph != "M" || event.name != "thread_name") continue;
    const std::string shown = event.Arg("name");
    const size_t space = shown.find(" (pid ");
    if (space == std::string::npos) continue;
    names[event.pid] = shown.substr(0, space);
    tracks[shown.substr(0, space)].pid = event.pid;
  }
  for (const TraceEvent& event : trace.events) {
    auto name = names.find(event.pid);
    if (event.ph != "M" && name != names.end()) {
      tracks[name->second].events.push_back(&event);
    }
  }
  return tracks;
}

TEST(BrowserHostTraceTest, TraceShowsACrashAndTheRestart) {
  TraceFile file("browser_host_trace_test.json");
  // The crash once the first round is done; end of input once its
  // replacement has done its work.
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcessSteps(
      {BROWSER_HOST_PATH, "--trace", file.path()}, "", absl::Seconds(30),
      {{.marker = "Commands:", .input = "status\ncrash renderer segv\n"},
       {.marker = "ok    renderer-5: ", .input = ""}});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, 0) << output->out << output->err;
  EXPECT_THAT(output->out, HasSubstr("All helpers stopped."));

  const std::string json = testing::FileContents(file.path());
  absl::StatusOr<testing::ParsedTrace> trace = testing::ParseTrace(json);
  ASSERT_TRUE(trace.ok()) << trace.status() << "\n" << json;
  EXPECT_THAT(testing::TraceProblems(*trace), IsEmpty()) << json;

  bool host_named = false;
  for (const TraceEvent& event : trace->events) {
    host_named |= event.ph == "M" && event.name == "process_name" &&
                  absl::StartsWith(event.Arg("name"), "browser_host (pid ");
  }
  EXPECT_TRUE(host_named) << json;

  std::map<std::string, HelperTrack> tracks = HelperTracks(*trace);
  for (const char* name :
       {"renderer-1", "gpu-2", "utility-3", "network-4", "renderer-5"}) {
    ASSERT_TRUE(tracks.contains(name)) << name << " in " << json;
  }

  // The crashed renderer: launched, handshake, ready, fault, exit, restart,
  // in this order.
  const HelperTrack& crashed = tracks["renderer-1"];
  const TraceEvent* launch = crashed.Find("launch", "i");
  const TraceEvent* life = crashed.Find("renderer-1", "B");
  const TraceEvent* spawned = crashed.Find("spawned", "i");
  const TraceEvent* hello = crashed.Find("Hello", "i");
  const TraceEvent* welcome = crashed.Find("Welcome", "i");
  const TraceEvent* ready = crashed.Find("Ready", "i");
  const TraceEvent* ready_span = crashed.Find("ready", "B");
  const TraceEvent* fault = crashed.Find("fault segv", "i");
  const TraceEvent* exit = crashed.Find("exit", "i");
  const TraceEvent* restart = crashed.Find("restart scheduled", "i");
  const TraceEvent* life_end = crashed.Find("renderer-1", "E");
  for (const TraceEvent* event : {launch, life, spawned, hello, welcome, ready,
                                  ready_span, fault, exit, restart, life_end}) {
    ASSERT_NE(event, nullptr) << json;
  }
  const std::vector<const TraceEvent*> in_order = {
      launch, spawned, hello, welcome, ready, fault, exit, restart};
  for (size_t i = 1; i < in_order.size(); ++i) {
    EXPECT_LE(in_order[i - 1]->ts, in_order[i]->ts)
        << in_order[i - 1]->name << " then " << in_order[i]->name;
  }
  EXPECT_LE(life->ts, ready_span->ts);
  EXPECT_LE(exit->ts, life_end->ts);
  EXPECT_EQ(exit->Arg("kind"), "crashed");
  EXPECT_EQ(exit->Arg("signal"), std::to_string(SIGSEGV));
#ifndef _WIN32
  EXPECT_THAT(exit->Arg("description"), HasSubstr("SIGSEGV"));
#endif
  EXPECT_EQ(spawned->Arg("pid"), exit->Arg("pid"));
  EXPECT_EQ(restart->Arg("role"), "renderer");

  // Its replacement was launched after the restart was scheduled.
  const TraceEvent* relaunch = tracks["renderer-5"].Find("launch", "i");
  ASSERT_NE(relaunch, nullptr);
  EXPECT_GE(relaunch->ts, restart->ts);
  const TraceEvent* final_exit = tracks["renderer-5"].Find("exit", "i");
  ASSERT_NE(final_exit, nullptr);
  EXPECT_EQ(final_exit->Arg("kind"), "host-shutdown");

  // Calls with their latency: the first round's sample work and ping, each
  // answered.
  std::map<std::string, std::string> ends;  // "name id" -> status.
  for (const TraceEvent* event : crashed.events) {
    if (event->ph == "e")
      ends[event->name + " " + event->id] = event->Arg("status");
  }
  int sample_work = 0, pings = 0;
  for (const TraceEvent* event : crashed.events) {
    if (event->ph != "b") continue;
    EXPECT_EQ(event->cat, "call");
    const std::string& status = ends[event->name + " " + event->id];
    if (event->name == "sample work" && status == "OK") ++sample_work;
    if (event->name == "ping" && status == "OK") ++pings;
  }
  EXPECT_GE(sample_work, 1) << json;
  EXPECT_GE(pings, 1) << json;

  // The others ran until the host shut them down, through "stopping".
  for (const char* name : {"gpu-2", "utility-3", "network-4"}) {
    const HelperTrack& track = tracks[name];
    const TraceEvent* stopping = track.Find("stopping", "B");
    const TraceEvent* end = track.Find("exit", "i");
    ASSERT_NE(stopping, nullptr) << name;
    ASSERT_NE(end, nullptr) << name;
    EXPECT_LE(stopping->ts, end->ts);
    EXPECT_EQ(end->Arg("kind"), "host-shutdown");
  }
}

TEST(BrowserHostTraceTest, UnwritableTracePathIsAUsageError) {
  const std::string bad = ::testing::TempDir() + "no/such/dir/trace.json";
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcess(
      {BROWSER_HOST_PATH, "--trace=" + bad}, "", absl::Seconds(30));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, 2);
  EXPECT_THAT(output->err, HasSubstr("cannot write trace file '" + bad));
  EXPECT_EQ(std::count(output->err.begin(), output->err.end(), '\n'), 1)
      << output->err;
  // Nothing started.
  EXPECT_THAT(output->out, Not(HasSubstr("starting helpers")));
}

TEST(BrowserHostTraceTest, TraceNeedsAFile) {
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcess(
      {BROWSER_HOST_PATH, "--trace="}, "", absl::Seconds(30));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, 2);
  EXPECT_THAT(output->err, HasSubstr("--trace needs a value"));
}

}  // namespace
}  // namespace bulkhead
