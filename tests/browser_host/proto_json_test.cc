#include "browser_host/proto_json.h"

#include <string>

#include "browser_host/proto/json_event.pb.h"
#include "browser_host/proto/trace_event.pb.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

constexpr char kFffd[] = "\xEF\xBF\xBD";

TEST(ValidUtf8Test, KeepsWellFormedText) {
  for (const std::string& text :
       {std::string(""), std::string("plain ascii \"\\\n\t"),
        std::string("nul\0in", 6), std::string("caf\xC3\xA9"),
        std::string("\xE2\x82\xAC euro"), std::string("\xF0\x9F\x98\x80"),
        std::string("\xF4\x8F\xBF\xBF")}) {  // U+10FFFF, the last.
    EXPECT_EQ(ValidUtf8(text), text);
  }
}

TEST(ValidUtf8Test, ReplacesEachByteThatStartsNoWellFormedSequence) {
  struct Case {
    std::string in;
    std::string out;
  };
  const std::string r = kFffd;
  for (const Case& c : {
           Case{"\xFF", r},                          // Never in UTF-8.
           Case{"a\x80z", "a" + r + "z"},            // A stray continuation.
           Case{"\xC3", r},                          // Cut short at the end.
           Case{"\xC3z", r + "z"},                   // Cut short by ASCII.
           Case{"\xE2\x82", r + r},                  // Cut short: each byte.
           Case{"\xC0\xAF", r + r},                  // Overlong '/'.
           Case{"\xE0\x80\xAF", r + r + r},          // Overlong, 3 bytes.
           Case{"\xED\xA0\x80", r + r + r},          // A surrogate, U+D800.
           Case{"\xF4\x90\x80\x80", r + r + r + r},  // Above U+10FFFF.
           Case{"\xF8\x88\x80\x80\x80", r + r + r + r + r},  // 5 bytes.
       }) {
    EXPECT_EQ(ValidUtf8(c.in), c.out) << ::testing::PrintToString(c.in);
  }
}

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
