#include "host/trace_recorder.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/trace_check.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr TraceTrack kTrack{.pid = 10, .tid = 11};
constexpr TraceTrack kOther{.pid = 20, .tid = 20};

// A recorder whose clock is `now`, moved by the test.
class TraceRecorderTest : public ::testing::Test {
 protected:
  TraceRecorder::Options ManualClock(size_t max_events) {
    return {.max_events = max_events, .now_micros = [this] { return now_; }};
  }

  testing::ParsedTrace Parse(TraceRecorder& recorder) {
    absl::StatusOr<std::string> json = recorder.ToJson();
    EXPECT_TRUE(json.ok()) << json.status();
    if (!json.ok()) return {};
    absl::StatusOr<testing::ParsedTrace> trace = testing::ParseTrace(*json);
    EXPECT_TRUE(trace.ok()) << trace.status() << "\n" << *json;
    if (!trace.ok()) return {};
    EXPECT_THAT(testing::TraceProblems(*trace), IsEmpty());
    return *std::move(trace);
  }

  // The events that are not metadata, as "ph name ts".
  static std::vector<std::string> Timeline(const testing::ParsedTrace& trace) {
    std::vector<std::string> lines;
    for (const testing::TraceEvent& event : trace.events) {
      if (event.ph == "M") continue;
      lines.push_back(absl::StrCat(event.ph, " ", event.name, " ",
                                   static_cast<int64_t>(event.ts)));
    }
    return lines;
  }

  int64_t now_ = 1000;
};

TEST_F(TraceRecorderTest, EncodesEveryKindOfEvent) {
  TraceRecorder recorder(ManualClock(100));
  recorder.SetProcessName(kTrack.pid, "renderer-1 (pid 42)", 3);
  recorder.SetThreadName(kTrack, "renderer-1");
  recorder.Begin(kTrack, "ready", {{"n", int64_t{7}}, {"ok", true}});
  now_ = 1500;
  recorder.Instant(kTrack, "fault", {{"kind", "segv"}});
  const uint64_t call = recorder.AsyncBegin(kTrack, "call", "ping");
  EXPECT_NE(call, 0u);
  now_ = 1700;
  recorder.AsyncEnd(call, {{"status", "OK"}});
  recorder.End(kTrack);

  const std::string json = recorder.ToJson().value();
  EXPECT_THAT(json, HasSubstr("\"displayTimeUnit\":\"ms\""));
  EXPECT_THAT(json, HasSubstr("\"dropped_events\":0"));
  EXPECT_THAT(json, HasSubstr("{\"ph\":\"B\",\"ts\":1000,\"pid\":10,\"tid\":"
                              "11,\"name\":\"ready\",\"args\":{\"n\":7,"
                              "\"ok\":true}}"));
  EXPECT_THAT(json, HasSubstr("{\"ph\":\"i\",\"ts\":1500,\"pid\":10,\"tid\":"
                              "11,\"name\":\"fault\",\"args\":{\"kind\":"
                              "\"segv\"},\"s\":\"t\"}"));
  EXPECT_THAT(json, HasSubstr("\"ph\":\"b\",\"ts\":1500,\"pid\":10,\"tid\":11,"
                              "\"name\":\"ping\",\"cat\":\"call\",\"id\":"
                              "\"0x1\"}"));
  EXPECT_THAT(json, HasSubstr("\"ph\":\"e\",\"ts\":1700"));

  const testing::ParsedTrace trace = Parse(recorder);
  EXPECT_THAT(Timeline(trace),
              ElementsAre("B ready 1000", "i fault 1500", "b ping 1500",
                          "e ping 1700", "E ready 1700"));
  std::vector<std::string> names;
  for (const testing::TraceEvent& event : trace.events) {
    if (event.ph == "M") names.push_back(event.name + "=" + event.Arg("name"));
  }
  EXPECT_THAT(names,
              ElementsAre("process_name=renderer-1 (pid 42)",
                          "process_sort_index=", "thread_name=renderer-1"));
}

TEST_F(TraceRecorderTest, EscapesNamesAndArgs) {
  TraceRecorder recorder(ManualClock(100));
  const std::string nasty =
      "quote\" back\\slash\nnew\ttab\x01 caf\xc3\xa9 \xff\xfe end";
  recorder.SetThreadName(kTrack, nasty);
  recorder.Instant(kTrack, nasty, {{nasty, nasty}, {"n", int64_t{1} << 53}});
  const std::string json = recorder.ToJson().value();
  EXPECT_THAT(json, HasSubstr("quote\\\" back\\\\slash\\nnew\\ttab\\u0001"));
  const testing::ParsedTrace trace = Parse(recorder);
  ASSERT_EQ(trace.events.size(), 2u);
  // UTF-8 comes back as it went in; bytes that are not UTF-8 as U+FFFD.
  const std::string shown =
      "quote\" back\\slash\nnew\ttab\x01 caf\xc3\xa9 "
      "\xef\xbf\xbd\xef\xbf\xbd end";
  EXPECT_EQ(trace.events[0].Arg("name"), shown);
  EXPECT_EQ(trace.events[1].name, shown);
  EXPECT_EQ(trace.events[1].Arg(shown), shown);
  EXPECT_EQ(trace.events[1].Arg("n"), "9007199254740992");
}

// The checker reads the file as its schema strictly: a field the schema
// does not have, or a value of the wrong type, is an error.
TEST_F(TraceRecorderTest, TheSchemaCatchesDrift) {
  TraceRecorder recorder(ManualClock(100));
  recorder.Instant(kTrack, "only");
  const std::string json = recorder.ToJson().value();
  ASSERT_TRUE(testing::ParseTrace(json).ok());
  std::string extra = json;
  extra.replace(extra.find("\"ph\""), 4, "\"phase\":\"i\",\"ph\"");
  EXPECT_THAT(testing::ParseTrace(extra).status().message(),
              HasSubstr("phase"));
  std::string retyped = json;
  retyped.replace(retyped.find("\"s\":\"t\""), 7, "\"s\":1");
  EXPECT_FALSE(testing::ParseTrace(retyped).ok());
}

TEST_F(TraceRecorderTest, WritesEventsInTimeOrder) {
  TraceRecorder recorder(ManualClock(100));
  now_ = 2000;
  recorder.Begin(kTrack, "life");
  recorder.Instant(kTrack, "late", {});
  // Known after the fact: drawn where it happened.
  recorder.Instant(kTrack, "hello", {}, /*at=*/1200);
  now_ = 3000;
  recorder.Instant(kTrack, "same time 1");
  recorder.Instant(kTrack, "same time 2");
  recorder.End(kTrack);
  EXPECT_THAT(
      Timeline(Parse(recorder)),
      ElementsAre("i hello 1200", "B life 2000", "i late 2000",
                  "i same time 1 3000", "i same time 2 3000", "E life 3000"));
}

TEST_F(TraceRecorderTest, ClosesOpenSpansAtTheEnd) {
  TraceRecorder recorder(ManualClock(100));
  recorder.Begin(kTrack, "outer");
  recorder.Begin(kTrack, "inner");
  recorder.Begin(kOther, "other");
  const uint64_t call = recorder.AsyncBegin(kOther, "call", "slow");
  EXPECT_TRUE(recorder.HasOpenSpan(kTrack));
  now_ = 5000;
  const testing::ParsedTrace trace = Parse(recorder);
  EXPECT_FALSE(recorder.HasOpenSpan(kTrack));
  int closed = 0;
  for (const testing::TraceEvent& event : trace.events) {
    if (event.ph == "E" || event.ph == "e") {
      EXPECT_EQ(event.ts, 5000);
      EXPECT_EQ(event.Arg("closed_at_end"), "true");
      ++closed;
    }
  }
  EXPECT_EQ(closed, 4);
  // Late ends find nothing open, and change nothing.
  recorder.End(kTrack);
  recorder.AsyncEnd(call);
  EXPECT_THAT(testing::TraceProblems(Parse(recorder)), IsEmpty());
}

TEST_F(TraceRecorderTest, EndWithoutBeginIsIgnored) {
  TraceRecorder recorder(ManualClock(100));
  recorder.End(kTrack);
  recorder.AsyncEnd(12345);
  recorder.AsyncEnd(0);
  EXPECT_THAT(Timeline(Parse(recorder)), IsEmpty());
}

TEST_F(TraceRecorderTest, DropsPastTheCapAndStaysBalanced) {
  TraceRecorder recorder(ManualClock(4));
  recorder.SetThreadName(kTrack, "t");  // 1
  recorder.Begin(kTrack, "kept");       // 2
  recorder.Instant(kTrack, "one");      // 3
  const uint64_t call =
      recorder.AsyncBegin(kTrack, "call", "kept call");  // 4: full.
  recorder.Begin(kTrack, "dropped span");
  recorder.Instant(kTrack, "dropped instant");
  EXPECT_EQ(recorder.AsyncBegin(kTrack, "call", "dropped call"), 0u);
  recorder.SetThreadName(kOther, "dropped name");
  recorder.SetThreadName(kTrack, "renamed");  // Not a new event.
  recorder.End(kTrack);                       // The dropped span's: dropped.
  recorder.AsyncEnd(call);                    // Kept: its beginning was.
  recorder.End(kTrack);                       // Kept: its beginning was.
  EXPECT_EQ(recorder.dropped(), 5u);
  EXPECT_EQ(recorder.recorded(), 6u);

  const testing::ParsedTrace trace = Parse(recorder);
  EXPECT_THAT(Timeline(trace),
              ElementsAre("B kept 1000", "i one 1000", "b kept call 1000",
                          "e kept call 1000", "E kept 1000"));
  const auto& other = trace.root.fields().at("otherData").struct_value();
  EXPECT_EQ(other.fields().at("dropped_events").number_value(), 5);
  EXPECT_EQ(other.fields().at("max_events").number_value(), 4);
}

TEST_F(TraceRecorderTest, ABoundedRecorderTakesAFlood) {
  TraceRecorder recorder(ManualClock(1000));
  for (int i = 0; i < 100000; ++i) {
    ++now_;
    recorder.Begin(kTrack, "span");
    recorder.Instant(kTrack, "tick");
    recorder.End(kTrack);
  }
  EXPECT_LE(recorder.recorded(), 1001u);
  EXPECT_EQ(recorder.recorded() + recorder.dropped(), 300000u);
  Parse(recorder);
}

TEST_F(TraceRecorderTest, RealClockIsMonotonic) {
  TraceRecorder recorder;
  int64_t last = recorder.NowMicros();
  for (int i = 0; i < 1000; ++i) {
    const int64_t now = recorder.NowMicros();
    EXPECT_GE(now, last);
    last = now;
  }
}

TEST(TraceFileTest, WritesTheFileAndRefusesABadPath) {
  const std::string path = ::testing::TempDir() + "trace_recorder_test.json";
  ASSERT_TRUE(CreateTraceFile(path).ok());
  TraceRecorder recorder;
  recorder.Instant(kTrack, "only");
  ASSERT_TRUE(recorder.WriteFile(path).ok());
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<testing::ParsedTrace> trace = testing::ParseTrace(text.str());
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_EQ(trace->events.size(), 1u);
  EXPECT_EQ(trace->events[0].name, "only");
  std::remove(path.c_str());

  const std::string bad = ::testing::TempDir() + "no/such/dir/trace.json";
  const absl::Status created = CreateTraceFile(bad);
  EXPECT_TRUE(absl::IsInvalidArgument(created)) << created;
  EXPECT_THAT(created.message(), HasSubstr(bad));
  EXPECT_FALSE(recorder.WriteFile(bad).ok());
}

#if defined(BULKHEAD_OS_LINUX)
// A file that opens but cannot take the bytes: the error is reported.
TEST(TraceFileTest, AFullDiskIsAnError) {
  TraceRecorder recorder;
  recorder.Instant(kTrack, "only");
  const absl::Status written = recorder.WriteFile("/dev/full");
  EXPECT_TRUE(absl::IsInvalidArgument(written)) << written;
  EXPECT_THAT(written.message(), HasSubstr("/dev/full"));
}
#endif

}  // namespace
}  // namespace bulkhead
