#include "browser_host/command_parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

Command Parsed(const std::string& line) {
  absl::StatusOr<std::optional<Command>> command = ParseCommand(line);
  EXPECT_TRUE(command.ok()) << line << ": " << command.status();
  EXPECT_TRUE(command.ok() && command->has_value()) << line;
  return command.ok() && command->has_value() ? **command : Command();
}

std::string Error(const std::string& line) {
  absl::StatusOr<std::optional<Command>> command = ParseCommand(line);
  EXPECT_FALSE(command.ok()) << line;
  if (command.ok()) return "";
  EXPECT_TRUE(absl::IsInvalidArgument(command.status()));
  const std::string message(command.status().message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  return message;
}

TEST(CommandParserTest, BlankLinesAreNoCommand) {
  for (const char* line : {"", "   ", "\t", "\r\n"}) {
    absl::StatusOr<std::optional<Command>> command = ParseCommand(line);
    ASSERT_TRUE(command.ok()) << command.status();
    EXPECT_FALSE(command->has_value());
  }
}

TEST(CommandParserTest, SimpleCommands) {
  EXPECT_EQ(Parsed("status").kind, Command::Kind::kStatus);
  EXPECT_EQ(Parsed("  help ").kind, Command::Kind::kHelp);
  EXPECT_EQ(Parsed("quit\r").kind, Command::Kind::kQuit);
  EXPECT_EQ(Parsed("exit").kind, Command::Kind::kQuit);
  EXPECT_EQ(Parsed("STATUS").kind, Command::Kind::kStatus);
  EXPECT_EQ(Parsed("metrics").kind, Command::Kind::kMetrics);
}

TEST(CommandParserTest, Crash) {
  Command command = Parsed("crash renderer-1 segv");
  EXPECT_EQ(command.kind, Command::Kind::kCrash);
  EXPECT_EQ(command.target, "renderer-1");
  EXPECT_EQ(command.fault, ipc::FAULT_KIND_SEGV);
  command = Parsed("crash gpu  exit 7");
  EXPECT_EQ(command.target, "gpu");
  EXPECT_EQ(command.fault, ipc::FAULT_KIND_EXIT);
  EXPECT_EQ(command.exit_code, 7);
}

TEST(CommandParserTest, HelperCommands) {
  Command command = Parsed("kill gpu-2");
  EXPECT_EQ(command.kind, Command::Kind::kKill);
  EXPECT_EQ(command.target, "gpu-2");
  command = Parsed("restart utility");
  EXPECT_EQ(command.kind, Command::Kind::kRestart);
  EXPECT_EQ(command.target, "utility");
  command = Parsed("spawn network");
  EXPECT_EQ(command.kind, Command::Kind::kSpawn);
  EXPECT_EQ(command.target, "network");
}

TEST(CommandParserTest, WrongArgumentsGetTheUsage) {
  EXPECT_THAT(Error("crash"), HasSubstr("usage: crash <helper|role> <fault>"));
  EXPECT_THAT(Error("crash renderer"), HasSubstr("usage: crash"));
  EXPECT_THAT(Error("kill"), HasSubstr("usage: kill <helper>"));
  EXPECT_THAT(Error("metrics now"), HasSubstr("usage: metrics"));
  EXPECT_THAT(Error("kill a b"), HasSubstr("usage: kill <helper>"));
  EXPECT_THAT(Error("spawn"), HasSubstr("usage: spawn <role>"));
  EXPECT_THAT(Error("restart"), HasSubstr("usage: restart <helper>"));
  EXPECT_THAT(Error("status now"), HasSubstr("usage: status"));
  EXPECT_THAT(Error("crash renderer melt"), HasSubstr("unknown fault 'melt'"));
  EXPECT_THAT(Error("crash renderer exit seven"),
              HasSubstr("exit code 'seven' is not a number"));
}

TEST(CommandParserTest, GarbageGetsAOneLineHint) {
  EXPECT_THAT(Error("frobnicate"),
              HasSubstr("unknown command 'frobnicate'; type 'help'"));
  // Control bytes and very long words are not echoed back as they are.
  const std::string garbage = Error(std::string("\x01\x02\xff\x7f", 4));
  EXPECT_THAT(garbage,
              HasSubstr("unknown command '" + std::string(4, '?') + "'"));
  EXPECT_LT(Error(std::string(10000, 'x')).size(), 100u);
  std::string binary;
  for (int i = 1; i < 256; ++i) binary.push_back(static_cast<char>(i));
  // Whatever it makes of it, it does not crash.
  (void)ParseCommand(binary);
}

// A line longer than a command can be is none, whatever it starts with: the
// app's reader hands over such a line cut short, and a cut line must not be
// carried out as the command its start spells.
TEST(CommandParserTest, ALineLongerThanAnyCommandIsRefused) {
  for (const std::string& line :
       {"status" + std::string(kMaxCommandLineBytes, ' '),
        "kill renderer-1" + std::string(kMaxCommandLineBytes, ' ') + "x"}) {
    EXPECT_THAT(Error(line), HasSubstr("too long for a command"));
    EXPECT_LT(Error(line).size(), 100u);
  }
  EXPECT_TRUE(
      ParseCommand("status" + std::string(kMaxCommandLineBytes - 6, ' ')).ok());
}

}  // namespace
}  // namespace bulkhead
