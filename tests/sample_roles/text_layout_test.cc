#include "sample_roles/text_layout.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace bulkhead::roles {
namespace {

roles::LayoutTextResponse Layout(absl::string_view text, uint32_t width) {
  roles::LayoutTextRequest request;
  request.set_text(std::string(text));
  request.set_width(width);
  absl::StatusOr<roles::LayoutTextResponse> response = LayoutText(request);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : roles::LayoutTextResponse();
}

std::vector<std::string> Lines(absl::string_view text, uint32_t width) {
  roles::LayoutTextResponse response = Layout(text, width);
  return {response.lines().begin(), response.lines().end()};
}

absl::Status LayoutError(absl::string_view text, uint32_t width) {
  roles::LayoutTextRequest request;
  request.set_text(std::string(text));
  request.set_width(width);
  return LayoutText(request).status();
}

TEST(TextLayoutTest, WrapsGreedily) {
  roles::LayoutTextResponse response =
      Layout("the quick brown fox jumps over the lazy dog", 10);
  EXPECT_EQ(std::vector<std::string>(response.lines().begin(),
                                     response.lines().end()),
            (std::vector<std::string>{"the quick", "brown fox", "jumps over",
                                      "the lazy", "dog"}));
  EXPECT_EQ(response.longest_line(), 10u);
  EXPECT_EQ(response.word_count(), 9u);
}

TEST(TextLayoutTest, WordThatExactlyFillsTheLineStaysOnIt) {
  EXPECT_EQ(Lines("ab cd ef", 5), (std::vector<std::string>{"ab cd", "ef"}));
  EXPECT_EQ(Lines("ab cd ef", 4), (std::vector<std::string>{"ab", "cd", "ef"}));
}

TEST(TextLayoutTest, CollapsesWhitespaceRuns) {
  roles::LayoutTextResponse response = Layout("  a \t\t b\f\v c  ", 80);
  ASSERT_EQ(response.lines_size(), 1);
  EXPECT_EQ(response.lines(0), "a b c");
  EXPECT_EQ(response.word_count(), 3u);
  EXPECT_EQ(response.longest_line(), 5u);
}

TEST(TextLayoutTest, NewlinesPreserveParagraphsAndBlankLines) {
  EXPECT_EQ(Lines("one two\n\nthree\n\n\nfour", 80),
            (std::vector<std::string>{"one two", "", "three", "", "", "four"}));
  EXPECT_EQ(Lines("a b c\nd", 3), (std::vector<std::string>{"a b", "c", "d"}));
}

TEST(TextLayoutTest, CrLfLineEndingsWork) {
  EXPECT_EQ(Lines("a b\r\nc\r\n", 80), (std::vector<std::string>{"a b", "c"}));
}

TEST(TextLayoutTest, TrailingNewlineTerminatesLastLine) {
  EXPECT_EQ(Lines("a\n", 10), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Lines("a\n\n", 10), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(Lines("\n", 10), (std::vector<std::string>{""}));
  EXPECT_EQ(Lines("\n\n", 10), (std::vector<std::string>{"", ""}));
}

TEST(TextLayoutTest, EmptyAndBlankText) {
  roles::LayoutTextResponse empty = Layout("", 10);
  EXPECT_EQ(empty.lines_size(), 0);
  EXPECT_EQ(empty.word_count(), 0u);
  EXPECT_EQ(empty.longest_line(), 0u);

  roles::LayoutTextResponse blank = Layout(" \t ", 10);
  EXPECT_EQ(
      std::vector<std::string>(blank.lines().begin(), blank.lines().end()),
      (std::vector<std::string>{""}));
  EXPECT_EQ(blank.word_count(), 0u);
}

TEST(TextLayoutTest, BreaksLongWordsHard) {
  roles::LayoutTextResponse response = Layout("abcdefghij x", 4);
  EXPECT_EQ(std::vector<std::string>(response.lines().begin(),
                                     response.lines().end()),
            (std::vector<std::string>{"abcd", "efgh", "ij x"}));
  EXPECT_EQ(response.word_count(), 2u);
  EXPECT_EQ(response.longest_line(), 4u);

  // A long word never shares its first line with earlier words.
  EXPECT_EQ(Lines("a bcdefgh", 3),
            (std::vector<std::string>{"a", "bcd", "efg", "h"}));
  EXPECT_EQ(Lines("abcdef", 3), (std::vector<std::string>{"abc", "def"}));
  EXPECT_EQ(Lines("abc", 1), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(TextLayoutTest, CountsCodePointsNotBytes) {
  roles::LayoutTextResponse response = Layout("h\u00e9llo w\u00f6rld", 5);
  EXPECT_EQ(std::vector<std::string>(response.lines().begin(),
                                     response.lines().end()),
            (std::vector<std::string>{"h\u00e9llo", "w\u00f6rld"}));
  EXPECT_EQ(response.longest_line(), 5u);

  // Three-byte (CJK) and four-byte (emoji) sequences are never split.
  EXPECT_EQ(Lines("\u65e5\u672c\u8a9e\u30c6\u30ad\u30b9\u30c8", 3),
            (std::vector<std::string>{"\u65e5\u672c\u8a9e",
                                      "\u30c6\u30ad\u30b9", "\u30c8"}));
  EXPECT_EQ(Lines("\U0001F600\U0001F600\U0001F600 \U0001F600", 2),
            (std::vector<std::string>{"\U0001F600\U0001F600", "\U0001F600",
                                      "\U0001F600"}));
}

TEST(TextLayoutTest, RandomTextKeepsWordsInOrderWithinWidth) {
  std::mt19937 rng(1234);
  const std::vector<std::string> alphabet = {"a", "b", "\u00e9", "\u4e2d",
                                             "\U0001F600"};
  const std::vector<std::string> separators = {" ", "  ", "\t", " \t "};
  for (int trial = 0; trial < 200; ++trial) {
    const uint32_t width = 1 + rng() % 12;
    std::vector<std::string> words;
    std::string text;
    const int word_total = static_cast<int>(rng() % 40);
    for (int w = 0; w < word_total; ++w) {
      std::string word;
      const int length = 1 + static_cast<int>(rng() % width);  // Fits.
      for (int c = 0; c < length; ++c)
        word += alphabet[rng() % alphabet.size()];
      words.push_back(word);
      if (w > 0) text += separators[rng() % separators.size()];
      text += word;
    }
    roles::LayoutTextResponse response = Layout(text, width);
    EXPECT_EQ(response.word_count(), words.size());
    std::vector<std::string> rewrapped;
    uint32_t longest = 0;
    for (const std::string& line : response.lines()) {
      uint32_t columns = 0;
      for (char c : line)
        columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      EXPECT_LE(columns, width) << "line \"" << line << "\"";
      longest = std::max(longest, columns);
      for (absl::string_view word :
           absl::StrSplit(line, ' ', absl::SkipEmpty())) {
        rewrapped.emplace_back(word);
      }
    }
    EXPECT_EQ(rewrapped, words) << "text \"" << text << "\" width " << width;
    EXPECT_EQ(response.longest_line(), longest);
  }
}

TEST(TextLayoutTest, RejectsBadWidth) {
  absl::Status zero = LayoutError("text", 0);
  EXPECT_EQ(zero.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(zero.message(), "width")) << zero;
  EXPECT_EQ(LayoutError("text", 10001).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Lines("text", 10000), (std::vector<std::string>{"text"}));
}

TEST(TextLayoutTest, RejectsTextOverOneMebibyte) {
  const std::string limit(size_t{1} << 20, 'x');
  EXPECT_EQ(Layout(limit, 10000).lines_size(), 105);  // ceil(2^20 / 10000).
  absl::Status too_big = LayoutError(limit + "x", 80);
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(too_big.message(), "1 MiB")) << too_big;
}

TEST(TextLayoutTest, RejectsInvalidUtf8) {
  const std::vector<std::string> bad = {
      "\xff",                  // Never a valid byte.
      "\x80",                  // Lone continuation byte.
      "ok \xc3",               // Truncated two-byte sequence.
      "\xe6\x97",              // Truncated three-byte sequence.
      "\xc3\x28",              // Lead byte followed by a non-continuation.
      "\xc0\xaf",              // Overlong '/'.
      "\xe0\x80\xaf",          // Overlong '/' in three bytes.
      "\xed\xa0\x80",          // UTF-16 surrogate U+D800.
      "\xf4\x90\x80\x80",      // U+110000, above the Unicode range.
      "\xf8\x88\x80\x80\x80",  // Five-byte form.
  };
  for (const std::string& text : bad) {
    absl::Status status = LayoutError(text, 80);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << absl::CEscape(text);
    EXPECT_TRUE(absl::StrContains(status.message(), "UTF-8")) << status;
  }
  absl::Status status = LayoutError("abc \xff", 80);
  EXPECT_TRUE(absl::StrContains(status.message(), "offset 4")) << status;
  // The largest code point and the last one before the surrogates are fine.
  EXPECT_EQ(Lines("\xf4\x8f\xbf\xbf \xed\x9f\xbf", 80),
            (std::vector<std::string>{"\xf4\x8f\xbf\xbf \xed\x9f\xbf"}));
}

}  // namespace
}  // namespace bulkhead::roles
