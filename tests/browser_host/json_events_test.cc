#include "browser_host/json_events.h"

#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

// Parses with protobuf's JSON parser, as any tool would.
google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct object;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, &object);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << json;
  return object;
}

const absl::Time kAt = absl::FromUnixMillis(1'800'000'000'123);

TEST(JsonEventsTest, QuotesWhatJsonNeedsQuoted) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(JsonQuote(std::string("\x01\xff", 2)), "\"\\u0001\\u00ff\"");
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  const google::protobuf::Struct parsed =
      Parse("{\"s\":" + JsonQuote(every_byte) + "}");
  EXPECT_EQ(parsed.fields().at("s").string_value().size() > 0, true);
}

TEST(JsonEventsTest, LifecycleEventHasItsFields) {
  LifecycleEvent event;
  event.stage = LifecycleStage::kStarted;
  event.helper_id = 3;
  event.role = "gpu";
  event.pid = 4242;
  const std::string json = LifecycleEventJson(event, kAt);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  const google::protobuf::Struct object = Parse(json);
  EXPECT_EQ(object.fields().at("event").string_value(), "lifecycle");
  EXPECT_EQ(object.fields().at("time").string_value(),
            "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(object.fields().at("stage").string_value(), "started");
  EXPECT_EQ(object.fields().at("helper").string_value(), "gpu-3");
  EXPECT_EQ(object.fields().at("helper_id").number_value(), 3);
  EXPECT_EQ(object.fields().at("role").string_value(), "gpu");
  EXPECT_EQ(object.fields().at("pid").number_value(), 4242);
  EXPECT_FALSE(object.fields().contains("reason"));
}

TEST(JsonEventsTest, ExitedEventSaysWhy) {
  ExitInfo exit;
  exit.kind = ExitKind::kCrashed;
  exit.signal = 11;
  exit.role = "renderer";
  exit.helper_id = 1;
  exit.uptime = absl::Milliseconds(1500);
  exit.detail = "quote \" and newline \n";
  LifecycleEvent event;
  event.stage = LifecycleStage::kExited;
  event.helper_id = 1;
  event.role = "renderer";
  event.pid = 99;
  event.exit = &exit;
  const google::protobuf::Struct object = Parse(LifecycleEventJson(event, kAt));
  EXPECT_EQ(object.fields().at("stage").string_value(), "exited");
  EXPECT_EQ(object.fields().at("reason").string_value(), "crashed");
  EXPECT_THAT(object.fields().at("description").string_value(),
              HasSubstr("crashed"));
  EXPECT_EQ(object.fields().at("signal").number_value(), 11);
  EXPECT_EQ(object.fields().at("exit_code").number_value(), 0);
  EXPECT_EQ(object.fields().at("uptime_ms").number_value(), 1500);
}

TEST(JsonEventsTest, RestartAndRoleFailed) {
  ExitInfo exit;
  exit.role = "gpu";
  exit.helper_id = 2;
  google::protobuf::Struct object =
      Parse(RestartScheduledJson(exit, absl::Milliseconds(90), kAt));
  EXPECT_EQ(object.fields().at("event").string_value(), "restart_scheduled");
  EXPECT_EQ(object.fields().at("helper").string_value(), "gpu-2");
  EXPECT_EQ(object.fields().at("delay_ms").number_value(), 90);
  object = Parse(RoleFailedJson("gpu", "6 restarts within 1m", kAt));
  EXPECT_EQ(object.fields().at("event").string_value(), "role_failed");
  EXPECT_EQ(object.fields().at("role").string_value(), "gpu");
  EXPECT_EQ(object.fields().at("why").string_value(), "6 restarts within 1m");
}

}  // namespace
}  // namespace bulkhead
