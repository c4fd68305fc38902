#include "host/proto_json.h"

#include <string>

#include "browser_host/proto/json_event.pb.h"
#include "gtest/gtest.h"
#include "ipc/proto/trace_event.pb.h"

namespace bulkhead {
namespace {

TEST(PrintJsonTest, WritesProtoNamesZerosAndSortedKeys) {
  output::TraceEvent event;
  event.set_ph("i");
  event.set_pid(0);
  event.set_name("");
  auto& args = *event.mutable_args()->mutable_fields();
  for (const char* key : {"zeta", "alpha", "mid"}) {
    args[key].set_number_value(1);
  }
  const absl::StatusOr<std::string> json = PrintJson(event);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json,
            "{\"ph\":\"i\",\"ts\":0,\"pid\":0,\"tid\":0,\"name\":\"\","
            "\"args\":{\"alpha\":1,\"mid\":1,\"zeta\":1}}");
  // `optional` fields only when set, also to "".
  event.clear_args();
  event.set_s("");
  EXPECT_EQ(PrintJson(event).value_or(""),
            "{\"ph\":\"i\",\"ts\":0,\"pid\":0,\"tid\":0,\"name\":\"\","
            "\"s\":\"\"}");
}

TEST(PrintJsonTest, NumbersAreJsonNumbers) {
  output::JsonEvent event;
  event.set_helper_id(9007199254740992.0);  // 2^53.
  event.set_exit_code(-1);
  event.set_uptime_ms(0.5);
  EXPECT_EQ(PrintJson(event).value_or(""),
            "{\"event\":\"\",\"time\":\"\",\"role\":\"\","
            "\"helper_id\":9007199254740992,\"exit_code\":-1,"
            "\"uptime_ms\":0.5}");
}

}  // namespace
}  // namespace bulkhead
