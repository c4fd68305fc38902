#include "common/utf8.h"

#include <string>

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

TEST(FindInvalidUtf8Test, SaysWhereTheTextStopsBeingUtf8) {
  EXPECT_EQ(FindInvalidUtf8(""), absl::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"),
            absl::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("caf\xC3\xA9\xFF"), 5u);
  EXPECT_EQ(FindInvalidUtf8("ab\xE2\x82"), 2u);     // Cut short.
  EXPECT_EQ(FindInvalidUtf8("a\xED\xA0\x80"), 1u);  // A surrogate.
  EXPECT_EQ(FindInvalidUtf8("\xC0\xAF"), 0u);       // Overlong.
}

TEST(PrintableTextTest, EscapesWhatATerminalWouldObey) {
  EXPECT_EQ(PrintableText(""), "");
  EXPECT_EQ(PrintableText("tab\tand caf\xC3\xA9 \xF0\x9F\x98\x80"),
            "tab\tand caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(PrintableText("\x1B[2J"), "\\x1b[2J");
  EXPECT_EQ(PrintableText(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(PrintableText("\r\n\x7F"), "\\x0d\\x0a\\x7f");
  EXPECT_EQ(PrintableText("\xC2\x9B"
                          "1m \xC2\xA0"),
            "\\u009b1m \xC2\xA0");
  EXPECT_EQ(PrintableText("\xFF\xC0\xAF"), "\\xff\\xc0\\xaf");
  EXPECT_EQ(PrintableText("ab\xE2\x82"), "ab\\xe2\\x82");  // Cut short.
}

}  // namespace
}  // namespace bulkhead
