#include "browser_host/json_events.h"

#include <string>

#include "absl/time/time.h"
#include "browser_host/proto/json_event.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/host/host_fixture.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

// Parses a line twice, as any tool would (a free-form object) and strictly
// as its schema (no unknown field, every value of its field's type), so that
// the output and bulkhead.output.JsonEvent cannot drift apart.
google::protobuf::Struct Parse(const absl::StatusOr<std::string>& json) {
  EXPECT_TRUE(json.ok()) << json.status();
  if (!json.ok()) return {};
  EXPECT_EQ(json->find('\n'), std::string::npos) << *json;
  output::JsonEvent typed;
  const auto strict =
      google::protobuf::util::JsonStringToMessage(*json, &typed);
  EXPECT_TRUE(strict.ok()) << strict.ToString() << ": " << *json;
  google::protobuf::Struct object;
  const auto status =
      google::protobuf::util::JsonStringToMessage(*json, &object);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << *json;
  return object;
}

const absl::Time kAt = absl::FromUnixMillis(1'800'000'000'123);

TEST(JsonEventsTest, LifecycleEventHasItsFields) {
  LifecycleEvent event;
  event.stage = LifecycleStage::kStarted;
  event.helper_id = 3;
  event.role = "gpu";
  event.pid = 4242;
  const absl::StatusOr<std::string> json = LifecycleEventJson(event, kAt);
  // Field names and order as documented (README's sample).
  EXPECT_EQ(json.value_or(""),
            "{\"event\":\"lifecycle\",\"time\":\"2027-01-15T08:00:00.123Z\","
            "\"role\":\"gpu\",\"stage\":\"started\",\"helper\":\"gpu-3\","
            "\"helper_id\":3,\"pid\":4242}");
  const google::protobuf::Struct object = Parse(json);
  EXPECT_EQ(object.fields().at("helper_id").number_value(), 3);
  EXPECT_EQ(object.fields().at("pid").number_value(), 4242);
  EXPECT_FALSE(object.fields().contains("reason"));
}

TEST(JsonEventsTest, ALaunchingHelperHasPidZero) {
  LifecycleEvent event;
  event.stage = LifecycleStage::kLaunching;
  event.helper_id = 1;
  event.role = "gpu";
  const google::protobuf::Struct object = Parse(LifecycleEventJson(event, kAt));
  ASSERT_TRUE(object.fields().contains("pid"));
  EXPECT_EQ(object.fields().at("pid").number_value(), 0);
  // Milliseconds are always written, also when they are 0.
  EXPECT_EQ(
      Parse(LifecycleEventJson(event, absl::FromUnixSeconds(1'800'000'000)))
          .fields()
          .at("time")
          .string_value(),
      "2027-01-15T08:00:00.000Z");
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
  EXPECT_THAT(
      object.fields().at("description").string_value(),
      HasSubstr("crashed (signal 11 SIGSEGV): quote \" and newline \n"));
  EXPECT_EQ(object.fields().at("signal").number_value(), 11);
  // Zeros are written too.
  ASSERT_TRUE(object.fields().contains("exit_code"));
  EXPECT_EQ(object.fields().at("exit_code").number_value(), 0);
  EXPECT_EQ(object.fields().at("uptime_ms").number_value(), 1500);
}

TEST(JsonEventsTest, WindowsExitCodesAreWholeNumbers) {
  ExitInfo exit;
  exit.kind = ExitKind::kErrorExit;
  exit.exit_code = 0xC0000409;
  LifecycleEvent event;
  event.stage = LifecycleStage::kExited;
  event.exit = &exit;
  EXPECT_THAT(LifecycleEventJson(event, kAt).value_or(""),
              HasSubstr("\"exit_code\":3221226505,"));
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
  EXPECT_FALSE(object.fields().contains("helper_id"));
  object = Parse(RoleFailedJson("gpu", "6 restarts within 1m", kAt));
  EXPECT_EQ(object.fields().at("event").string_value(), "role_failed");
  EXPECT_EQ(object.fields().at("role").string_value(), "gpu");
  EXPECT_EQ(object.fields().at("why").string_value(), "6 restarts within 1m");
  EXPECT_FALSE(object.fields().contains("helper"));
}

TEST(JsonEventsTest, AnyBytesMakeValidJson) {
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  const google::protobuf::Struct object =
      Parse(RoleFailedJson(every_byte, every_byte, kAt));
  const std::string& why = object.fields().at("why").string_value();
  // ASCII comes back as it went in; each byte above it is not UTF-8 alone.
  EXPECT_EQ(why.substr(0, 128), every_byte.substr(0, 128));
  std::string replaced;
  for (int i = 128; i < 256; ++i) replaced += "\xEF\xBF\xBD";
  EXPECT_EQ(why.substr(128), replaced);
}

// The words of a real helper: the last line a helper that left before Ready
// wrote on stderr is in its ExitInfo, and so in the "exited" event.
class JsonEventsHelperTest : public testing::HostFixture {};

TEST_F(JsonEventsHelperTest, AHelpersWordsComeOutAsValidUtf8) {
  absl::StatusOr<HelperProcess*> launched = host_->Launch("bad-words", nullptr);
  ASSERT_TRUE(launched.ok()) << launched.status();
  const ExitInfo* exit = WaitForExit((*launched)->id());
  ASSERT_NE(exit, nullptr);
  ASSERT_EQ(exit->kind, ExitKind::kLaunchFailed) << exit->Describe();
  ASSERT_THAT(exit->Describe(), HasSubstr(std::string(testing::kBadWords)));
  LifecycleEvent event;
  event.stage = LifecycleStage::kExited;
  event.helper_id = exit->helper_id;
  event.role = exit->role;
  event.pid = exit->pid;
  event.exit = exit;
  const absl::StatusOr<std::string> json = LifecycleEventJson(event, kAt);
  ASSERT_TRUE(json.ok()) << json.status();
  // The control characters and the NUL are escaped: still one line.
  EXPECT_THAT(*json, HasSubstr("tab\\u0001\\u001b[0m nul\\u0000 "));
  const google::protobuf::Struct object = Parse(json);
  EXPECT_EQ(object.fields().at("reason").string_value(), "launch-failed");
  EXPECT_THAT(object.fields().at("description").string_value(),
              HasSubstr(std::string(testing::kBadWordsAsUtf8)));
}

}  // namespace
}  // namespace bulkhead
