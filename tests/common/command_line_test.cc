#include "common/command_line.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(CommandLineTest, ParsesNameEqualsValue) {
  CommandLine line = CommandLine::Parse({"prog", "--type=renderer", "--id=7"});
  EXPECT_EQ(line.program(), "prog");
  EXPECT_TRUE(line.Has("type"));
  EXPECT_EQ(line.Get("type"), std::optional<std::string>("renderer"));
  EXPECT_EQ(line.Get("id"), std::optional<std::string>("7"));
  EXPECT_THAT(line.positional(), IsEmpty());
}

TEST(CommandLineTest, BareSwitchHasEmptyValue) {
  CommandLine line = CommandLine::Parse({"prog", "--verbose"});
  EXPECT_TRUE(line.Has("verbose"));
  EXPECT_EQ(line.Get("verbose"), std::optional<std::string>(""));
  // Present-but-empty is distinct from absent.
  EXPECT_FALSE(line.Has("quiet"));
  EXPECT_EQ(line.Get("quiet"), std::nullopt);
}

TEST(CommandLineTest, ExplicitEmptyValueIsEmpty) {
  CommandLine line = CommandLine::Parse({"prog", "--name="});
  EXPECT_TRUE(line.Has("name"));
  EXPECT_EQ(line.Get("name"), std::optional<std::string>(""));
}

TEST(CommandLineTest, RepeatedSwitchKeepsLastValue) {
  CommandLine line = CommandLine::Parse(
      {"prog", "--mode=a", "--other", "--mode=b", "--mode=c"});
  EXPECT_EQ(line.Get("mode"), std::optional<std::string>("c"));
  // Listed once, at the position it was first seen.
  EXPECT_THAT(line.switch_names(), ElementsAre("mode", "other"));
}

TEST(CommandLineTest, DoubleDashEndsSwitches) {
  CommandLine line =
      CommandLine::Parse({"prog", "--a=1", "--", "--b=2", "--", "x"});
  EXPECT_TRUE(line.Has("a"));
  EXPECT_FALSE(line.Has("b"));
  // Only the first `--` is consumed; a second one is an ordinary positional
  // argument.
  EXPECT_THAT(line.positional(), ElementsAre("--b=2", "--", "x"));
  EXPECT_THAT(line.switch_names(), ElementsAre("a"));
}

TEST(CommandLineTest, PositionalArgumentsKeepOrderAndInterleave) {
  CommandLine line = CommandLine::Parse(
      {"prog", "first", "--x=1", "second", "-y", "-", "third"});
  // Single-dash words are not switches.
  EXPECT_THAT(line.positional(),
              ElementsAre("first", "second", "-y", "-", "third"));
  EXPECT_THAT(line.switch_names(), ElementsAre("x"));
  EXPECT_FALSE(line.Has("y"));
}

TEST(CommandLineTest, OnlyTheFirstEqualsSplitsNameFromValue) {
  CommandLine line =
      CommandLine::Parse({"prog", "--query=a=b=c", "--url=http://h/?k=v"});
  EXPECT_EQ(line.Get("query"), std::optional<std::string>("a=b=c"));
  EXPECT_EQ(line.Get("url"), std::optional<std::string>("http://h/?k=v"));
  EXPECT_FALSE(line.Has("query=a"));
}

TEST(CommandLineTest, ParsesArgcArgv) {
  const char* const argv[] = {"/bin/prog", "--n=3", "file"};
  CommandLine line = CommandLine::Parse(3, argv);
  EXPECT_EQ(line.program(), "/bin/prog");
  EXPECT_EQ(line.Get("n"), std::optional<std::string>("3"));
  EXPECT_THAT(line.positional(), ElementsAre("file"));
}

TEST(CommandLineTest, ProgramOnly) {
  const char* const argv[] = {"prog"};
  CommandLine line = CommandLine::Parse(1, argv);
  EXPECT_EQ(line.program(), "prog");
  EXPECT_THAT(line.positional(), IsEmpty());
  EXPECT_THAT(line.switch_names(), IsEmpty());
  EXPECT_FALSE(line.Has("prog"));
}

TEST(CommandLineTest, EmptyArgv) {
  CommandLine line = CommandLine::Parse(std::vector<std::string>{});
  EXPECT_EQ(line.program(), "");
  EXPECT_THAT(line.positional(), IsEmpty());
  EXPECT_THAT(line.switch_names(), IsEmpty());
}

TEST(CommandLineTest, SwitchNamesInFirstSeenOrder) {
  CommandLine line = CommandLine::Parse(
      {"prog", "--zeta", "--alpha=1", "pos", "--mid=2", "--zeta=3"});
  EXPECT_THAT(line.switch_names(), ElementsAre("zeta", "alpha", "mid"));
  EXPECT_EQ(line.Get("zeta"), std::optional<std::string>("3"));
}

TEST(CommandLineTest, GetIntWithinBounds) {
  CommandLine line =
      CommandLine::Parse({"prog", "--n=42", "--neg=-5", "--lo=0", "--hi=10"});
  absl::StatusOr<int64_t> n = line.GetInt("n", 0, 100);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 42);
  absl::StatusOr<int64_t> neg = line.GetInt("neg", -10, 10);
  ASSERT_TRUE(neg.ok()) << neg.status();
  EXPECT_EQ(*neg, -5);
  // Both bounds are inclusive.
  absl::StatusOr<int64_t> lo = line.GetInt("lo", 0, 10);
  ASSERT_TRUE(lo.ok()) << lo.status();
  EXPECT_EQ(*lo, 0);
  absl::StatusOr<int64_t> hi = line.GetInt("hi", 0, 10);
  ASSERT_TRUE(hi.ok()) << hi.status();
  EXPECT_EQ(*hi, 10);
}

TEST(CommandLineTest, GetIntFullRange) {
  CommandLine line = CommandLine::Parse(
      {"prog", "--max=9223372036854775807", "--min=-9223372036854775808"});
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  absl::StatusOr<int64_t> max = line.GetInt("max", kMin, kMax);
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(*max, kMax);
  absl::StatusOr<int64_t> min = line.GetInt("min", kMin, kMax);
  ASSERT_TRUE(min.ok()) << min.status();
  EXPECT_EQ(*min, kMin);
}

TEST(CommandLineTest, GetIntOutOfBoundsIsInvalidArgument) {
  CommandLine line = CommandLine::Parse({"prog", "--n=11", "--m=-1"});
  absl::StatusOr<int64_t> n = line.GetInt("n", 0, 10);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(n.status().message()),
              ::testing::HasSubstr("--n=11"));
  EXPECT_EQ(line.GetInt("m", 0, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CommandLineTest, GetIntMalformedIsInvalidArgument) {
  CommandLine line =
      CommandLine::Parse({"prog", "--word=ten", "--empty", "--trail=5x",
                          "--float=1.5", "--huge=99999999999999999999"});
  for (const char* name : {"word", "empty", "trail", "float", "huge"}) {
    absl::StatusOr<int64_t> value =
        line.GetInt(name, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max());
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument)
        << name << " gave "
        << (value.ok() ? std::to_string(*value) : value.status().ToString());
  }
}

TEST(CommandLineTest, GetIntMissingIsNotFound) {
  CommandLine line = CommandLine::Parse({"prog", "--other=1", "--", "--n=3"});
  absl::StatusOr<int64_t> n = line.GetInt("n", 0, 10);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(n.status().message()), ::testing::HasSubstr("--n"));
}

const CommandLine::Syntax kSyntax = {.with_value = {"role", "config"},
                                     .without_value = {"help", "no-sandbox"},
                                     .short_forms = {{"h", "help"}}};

TEST(CommandLineSyntaxTest, AValueComesAfterEqualsOrAsTheNextArgument) {
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{
           {"prog", "learn", "--role=gpu", "--config", "a.txt"},
           {"prog", "--role", "gpu", "learn", "--config=a.txt"}}) {
    absl::StatusOr<CommandLine> line = CommandLine::Parse(argv, kSyntax);
    ASSERT_TRUE(line.ok()) << line.status();
    EXPECT_EQ(line->Get("role"), std::optional<std::string>("gpu"));
    EXPECT_EQ(line->Get("config"), std::optional<std::string>("a.txt"));
    EXPECT_THAT(line->positional(), ElementsAre("learn"));
  }
}

TEST(CommandLineSyntaxTest, ShortFormsAndBareSwitches) {
  absl::StatusOr<CommandLine> line = CommandLine::Parse(
      {"prog", "-h", "--no-sandbox", "-", "--", "-x"}, kSyntax);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_THAT(line->switch_names(), ElementsAre("help", "no-sandbox"));
  EXPECT_EQ(line->Get("help"), std::optional<std::string>(""));
  EXPECT_THAT(line->positional(), ElementsAre("-", "-x"));
}

TEST(CommandLineSyntaxTest, WhatIsWrongIsNamed) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"prog", "--frobnicate"}, "unknown flag --frobnicate"},
      {{"prog", "--frobnicate=1"}, "unknown flag --frobnicate"},
      {{"prog", "-x"}, "unknown flag -x"},
      {{"prog", "--role"}, "--role needs a value"},
      {{"prog", "--role="}, "--role needs a value"},
      {{"prog", "--role", "--no-sandbox"}, "--role needs a value"},
      {{"prog", "--no-sandbox=yes"}, "--no-sandbox takes no value"},
      {{"prog", "-h=1"}, "unknown flag -h=1"}};
  for (const auto& [argv, message] : cases) {
    absl::StatusOr<CommandLine> line = CommandLine::Parse(argv, kSyntax);
    EXPECT_EQ(line.status().code(), absl::StatusCode::kInvalidArgument)
        << argv[1];
    EXPECT_EQ(std::string(line.status().message()), message) << argv[1];
  }
}

TEST(CommandLineSyntaxTest, AValueMayStartWithOneDash) {
  absl::StatusOr<CommandLine> line =
      CommandLine::Parse({"prog", "--config", "-"}, kSyntax);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->Get("config"), std::optional<std::string>("-"));
}

TEST(JoinWindowsCommandLineTest, PlainArgumentsAreJoinedAsTheyAre) {
  absl::StatusOr<std::string> line =
      JoinWindowsCommandLine({"C:\\bin\\h.exe", "--type=renderer", "a\\b"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "\"C:\\bin\\h.exe\" --type=renderer a\\b");
}

TEST(JoinWindowsCommandLineTest, QuotesBlanksAndEscapesQuotes) {
  absl::StatusOr<std::string> line = JoinWindowsCommandLine(
      {"C:\\Program Files\\h.exe", "two words", "", "say \"hi\"", "tab\there"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line,
            "\"C:\\Program Files\\h.exe\" \"two words\" \"\" "
            "\"say \\\"hi\\\"\" \"tab\there\"");
}

TEST(JoinWindowsCommandLineTest, DoublesBackslashesOnlyBeforeAQuote) {
  absl::StatusOr<std::string> line = JoinWindowsCommandLine(
      {"p", "dir with space\\", "a\\\\\"b", "c:\\x y\\z"});
  ASSERT_TRUE(line.ok()) << line.status();
  // A trailing backslash before the closing quote is doubled; two before a
  // literal quote become four plus the quote's own escape.
  EXPECT_EQ(*line,
            "\"p\" \"dir with space\\\\\" \"a\\\\\\\\\\\"b\" \"c:\\x y\\z\"");
}

TEST(JoinWindowsCommandLineTest, RefusesWhatCannotBeSaid) {
  EXPECT_EQ(JoinWindowsCommandLine({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JoinWindowsCommandLine({"a\"b.exe"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      JoinWindowsCommandLine({"p", std::string("a\0b", 3)}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulkhead
