// `browser_host replay FILE`, run for real: a repro of the renderer's poison
// input still crashes it (exit 0), a harmless one is answered (exit 1), a file
// that is no repro is refused (exit 2).
#include "browser_host/replay_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/repro.h"
#include "sample_roles/builtin_roles.h"
#include "sample_roles/work.pb.h"
#include "tests/support/run_process.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

testing::ProcessOutput RunReplay(std::vector<std::string> args) {
  args.insert(args.begin(), {BROWSER_HOST_PATH, "replay"});
  absl::StatusOr<testing::ProcessOutput> output =
      testing::RunProcess(args, "", absl::Seconds(60));
  EXPECT_TRUE(output.ok()) << output.status();
  return output.ok() ? *output : testing::ProcessOutput{};
}

std::string WriteTestRepro(const std::string& name, const std::string& text) {
  roles::LayoutTextRequest request;
  request.set_text(text);
  request.set_width(30);
  ExitInfo died;
  died.kind = ExitKind::kCrashed;
  died.signal = SIGSEGV;
  died.stack_trace = {"#0 WriteThroughNull", "#1 bulkhead::InjectFault"};
  absl::StatusOr<Repro> repro = MakeRepro("renderer", request, died);
  EXPECT_TRUE(repro.ok()) << repro.status();
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/", name, "_", ::getpid(), ".repro");
  EXPECT_TRUE(WriteRepro(path, *repro, {.overwrite = true}).ok());
  return path;
}

TEST(ReplayCommandTest, ThePoisonStillCrashesTheRenderer) {
  const std::string path =
      WriteTestRepro("poison", std::string(roles::kDemoCrashText) + "segv");
  for (bool sandboxed : {true, false}) {
    testing::ProcessOutput output =
        sandboxed ? RunReplay({path}) : RunReplay({path, "--no-sandbox"});
    EXPECT_EQ(output.exit_status, kReplayReproduced)
        << output.out << output.err;
    EXPECT_THAT(output.out, HasSubstr("role:    renderer"));
    EXPECT_THAT(output.out,
                HasSubstr("request: bulkhead.roles.LayoutTextRequest"));
    EXPECT_THAT(output.out, HasSubstr("bulkhead-demo-crash:segv"));
    EXPECT_THAT(output.out, HasSubstr("died:    crashed (signal 11 SIGSEGV)"));
    EXPECT_THAT(output.out, HasSubstr("stack: #0 WriteThroughNull"));
#if defined(_WIN32)
    // The same SIGSEGV, as Windows names it in a fresh helper.
    EXPECT_THAT(output.out,
                HasSubstr("still crashes: crashed (exception 0xc0000005"));
#else
    EXPECT_THAT(output.out,
                HasSubstr("still crashes: crashed (signal 11 SIGSEGV)"));
#endif
    if (!sandboxed) {
      EXPECT_THAT(output.out, HasSubstr("helper pid "));
      EXPECT_THAT(output.err, HasSubstr("UNCONFINED"));
    }
  }
  std::remove(path.c_str());
}

TEST(ReplayCommandTest, AHarmlessRequestIsAnsweredAndExitsOne) {
  const std::string path = WriteTestRepro("harmless", "two words");
  testing::ProcessOutput output = RunReplay({path});
  EXPECT_EQ(output.exit_status, kReplayNotReproduced)
      << output.out << output.err;
  EXPECT_THAT(output.out,
              HasSubstr("answered: bulkhead.roles.LayoutTextResponse"));
  EXPECT_THAT(output.out, HasSubstr("word_count: 2"));
  std::remove(path.c_str());
}

TEST(ReplayCommandTest, ABadFileExitsTwo) {
  const std::string garbage =
      absl::StrCat(::testing::TempDir(), "/garbage_", ::getpid(), ".repro");
  std::ofstream(garbage) << "not a repro at all\n";
  for (const std::string& path :
       {garbage, std::string("/no/such/file.repro"), std::string("/")}) {
    testing::ProcessOutput output = RunReplay({path});
    EXPECT_EQ(output.exit_status, kReplayBadFile) << path << output.out;
    EXPECT_THAT(output.err, HasSubstr("browser_host: ")) << path;
    EXPECT_EQ(output.out, "") << path;
  }
  std::remove(garbage.c_str());

  // A repro this binary has no role for.
  ExitInfo died;
  died.kind = ExitKind::kCrashed;
  died.signal = SIGSEGV;
  absl::StatusOr<Repro> foreign =
      MakeReproFromBytes("decoder", "app.DecodeRequest", "", died);
  ASSERT_TRUE(foreign.ok());
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/foreign_", ::getpid(), ".repro");
  ASSERT_TRUE(WriteRepro(path, *foreign, {.overwrite = true}).ok());
  testing::ProcessOutput output = RunReplay({path});
  EXPECT_EQ(output.exit_status, kReplayBadFile) << output.out << output.err;
  EXPECT_THAT(output.err, HasSubstr("unknown role 'decoder'"));
  std::remove(path.c_str());
}

// A repro file is untrusted (handed over by whoever reported the crash, or
// written from what a hostile helper left in its ExitInfo): what the command
// prints of it must not carry line feeds or terminal escapes of the file's
// own, which would forge the verdict ("still crashes") or hide the warning.
TEST(ReplayCommandTest, ACraftedFileCannotWriteControlCharactersToTheTerminal) {
  roles::LayoutTextRequest request;
  request.set_text("two words");
  request.set_width(30);
  ExitInfo died;
  died.kind = ExitKind::kSandboxViolation;
  died.syscall = "ptrace\x1b]0;owned\x07";
  died.detail = "x\nstill crashes: forged\x1b[2J\x1b[H";
  died.stack_trace = {"#0 \x1b[1A\x1b[2Kstill crashes: forged",
                      "#1 \r\u009b"
                      "2J"};
  absl::StatusOr<Repro> repro = MakeRepro("renderer", request, died);
  ASSERT_TRUE(repro.ok()) << repro.status();
  repro->bulkhead_version = "1.0\nstill crashes: \x1b[31mforged";
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/crafted_", ::getpid(), ".repro");
  ASSERT_TRUE(WriteRepro(path, *repro, {.overwrite = true}).ok());
  testing::ProcessOutput output = RunReplay({path});
  EXPECT_EQ(output.exit_status, kReplayNotReproduced)
      << output.out << output.err;
  for (char c : {'\x1b', '\x07', '\r'}) {
    EXPECT_EQ(output.out.find(c), std::string::npos)
        << static_cast<int>(c) << ": " << output.out;
  }
  EXPECT_EQ(output.out.find("\u009b"), std::string::npos) << output.out;
  EXPECT_THAT(output.out, Not(HasSubstr("\nstill crashes"))) << output.out;
  std::remove(path.c_str());
}

// A FIFO where the file was expected (a shared directory, a typo'd process
// substitution) is refused, not waited on for ever.
TEST(ReplayCommandTest, AFifoIsRefusedWithoutWaiting) {
#if defined(_WIN32)
  GTEST_SKIP() << "no FIFOs";
#else
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/fifo_", ::getpid(), ".repro");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  absl::StatusOr<testing::ProcessOutput> output = testing::RunProcess(
      {BROWSER_HOST_PATH, "replay", path}, "", absl::Seconds(10));
  std::remove(path.c_str());
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->exit_status, kReplayBadFile) << output->out << output->err;
  EXPECT_THAT(output->err, HasSubstr("not a regular file"));
#endif
}

TEST(ReplayCommandTest, ReplayWithoutAFileOrWithTwoIsAUsageError) {
  absl::StatusOr<testing::ProcessOutput> output =
      testing::RunProcess({BROWSER_HOST_PATH, "replay"}, "", absl::Seconds(30));
  ASSERT_TRUE(output.ok());
  EXPECT_EQ(output->exit_status, 2);
  EXPECT_THAT(output->err, HasSubstr("replay needs the repro file"));
  output = testing::RunProcess({BROWSER_HOST_PATH, "replay", "a", "b"}, "",
                               absl::Seconds(30));
  ASSERT_TRUE(output.ok());
  EXPECT_EQ(output->exit_status, 2);
  EXPECT_THAT(output->err, HasSubstr("unexpected argument 'b'"));
  output =
      testing::RunProcess({BROWSER_HOST_PATH, "replay", "a", "--json-events"},
                          "", absl::Seconds(30));
  ASSERT_TRUE(output.ok());
  EXPECT_EQ(output->exit_status, 2);
  EXPECT_THAT(output->err, HasSubstr("--json-events is not for replay"));
}

}  // namespace
}  // namespace bulkhead
