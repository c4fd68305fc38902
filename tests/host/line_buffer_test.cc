#include "host/line_buffer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;

TEST(LineBufferTest, SplitsLinesAcrossAppends) {
  std::vector<std::string> lines;
  LineBuffer buffer([&](absl::string_view line) { lines.emplace_back(line); });
  buffer.Append("first li");
  buffer.Append("ne\nsecond\r\nthi");
  EXPECT_THAT(lines, ElementsAre("first line", "second"));
  buffer.Append("rd");
  buffer.Finish();
  EXPECT_THAT(lines, ElementsAre("first line", "second", "third"));
  EXPECT_EQ(buffer.line_count(), 3u);
}

TEST(LineBufferTest, KeepsOnlyTheLastLines) {
  LineBuffer buffer({.max_line_bytes = 100, .lines_kept = 2}, nullptr);
  buffer.Append("a\nb\nc\nd\n");
  EXPECT_THAT(buffer.last_lines(), ElementsAre("c", "d"));
}

TEST(LineBufferTest, CutsOverlongLinesAndCountsWhatWasDropped) {
  std::vector<std::string> lines;
  LineBuffer buffer({.max_line_bytes = 4, .lines_kept = 5},
                    [&](absl::string_view line) { lines.emplace_back(line); });
  buffer.Append("abcdefgh");
  buffer.Append("ij\nok\n");
  EXPECT_THAT(lines, ElementsAre("abcd [...]", "ok"));
  EXPECT_EQ(buffer.bytes_dropped(), 6u);
}

TEST(LineBufferTest, MemoryStaysBoundedUnderAFlood) {
  LineBuffer buffer({.max_line_bytes = 64, .lines_kept = 3}, nullptr);
  const std::string chunk(1 << 20, 'x');  // 1 MiB without a newline.
  for (int i = 0; i < 8; ++i) buffer.Append(chunk);
  buffer.Append("\n");
  ASSERT_EQ(buffer.last_lines().size(), 1u);
  EXPECT_EQ(buffer.last_lines()[0].size(), 64u + 6u);
  EXPECT_EQ(buffer.bytes_dropped(), 8u * (1 << 20) - 64u);
}

TEST(LineBufferTest, FinishWithoutPartialEmitsNothing) {
  int count = 0;
  LineBuffer buffer([&](absl::string_view) { ++count; });
  buffer.Append("done\n");
  buffer.Finish();
  EXPECT_EQ(count, 1);
}

}  // namespace
}  // namespace bulkhead
