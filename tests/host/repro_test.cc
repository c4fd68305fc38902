// Repro files (host/repro.h): made, written, read back, and refused when they
// are not what they claim. No processes: the replay's tests are in
// replay_test.cc.
#include "host/repro.h"

#if !defined(_WIN32)
#include <unistd.h>
#endif

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ExitInfo ASegv() {
  ExitInfo exit;
  exit.kind = ExitKind::kCrashed;
  exit.signal = 11;
  exit.core_dumped = false;
  exit.detail = "segmentation fault";
  exit.pid = 4242;
  exit.role = "renderer";
  exit.helper_id = 3;
  exit.uptime = absl::Milliseconds(1500);
  exit.stack_trace = {"#0 WriteThroughNull", "#1 InjectFault", "#2 main"};
  exit.last_stderr_lines = {"about to crash"};
  return exit;
}

roles::LayoutTextRequest APoison() {
  roles::LayoutTextRequest request;
  request.set_text("bulkhead-demo-crash:segv");
  request.set_width(40);
  return request;
}

class ReproFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat(
               "repro_test_", ::getpid(), "_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string PathOf(const std::string& name) { return (dir_ / name).string(); }
  void WriteBytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }

  std::filesystem::path dir_;
};

TEST_F(ReproFileTest, WhatIsWrittenIsReadBack) {
  absl::StatusOr<Repro> made = MakeRepro("renderer", APoison(), ASegv());
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->request_type, "bulkhead.roles.LayoutTextRequest");
  EXPECT_FALSE(made->bulkhead_version.empty());
  const std::string path = PathOf("poison.repro");
  ASSERT_TRUE(WriteRepro(path, *made).ok());

  absl::StatusOr<Repro> read = ReadRepro(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->role, "renderer");
  EXPECT_EQ(read->request_type, "bulkhead.roles.LayoutTextRequest");
  roles::LayoutTextRequest request;
  ASSERT_TRUE(request.ParseFromString(read->request));
  EXPECT_EQ(request.text(), "bulkhead-demo-crash:segv");
  EXPECT_EQ(request.width(), 40u);
  EXPECT_EQ(read->exit.kind, ExitKind::kCrashed);
  EXPECT_EQ(read->exit.signal, 11);
  EXPECT_EQ(read->exit.detail, "segmentation fault");
  EXPECT_EQ(read->exit.pid, 4242);
  EXPECT_EQ(read->exit.helper_id, 3u);
  EXPECT_EQ(read->exit.uptime, absl::Milliseconds(1500));
  EXPECT_THAT(read->exit.stack_trace,
              ElementsAre("#0 WriteThroughNull", "#1 InjectFault", "#2 main"));
  EXPECT_THAT(read->exit.last_stderr_lines, ElementsAre("about to crash"));
  EXPECT_EQ(absl::ToUnixMillis(read->made), absl::ToUnixMillis(made->made));
  EXPECT_EQ(read->bulkhead_version, made->bulkhead_version);
  EXPECT_EQ(read->exit.Describe(), made->exit.Describe());
}

TEST_F(ReproFileTest, AnExistingFileIsNotOverwrittenUnlessAsked) {
  const std::string path = PathOf("taken.repro");
  WriteBytes(path, "someone's file");
  absl::StatusOr<Repro> made = MakeRepro("renderer", APoison(), ASegv());
  ASSERT_TRUE(made.ok());
  absl::Status refused = WriteRepro(path, *made);
  EXPECT_TRUE(absl::IsAlreadyExists(refused)) << refused;
  {
    // Closed before the overwrite: Windows replaces no file held open.
    std::ifstream untouched(path);
    std::string text((std::istreambuf_iterator<char>(untouched)), {});
    EXPECT_EQ(text, "someone's file");
  }

  ASSERT_TRUE(WriteRepro(path, *made, {.overwrite = true}).ok());
  EXPECT_TRUE(ReadRepro(path).ok());
  // Nothing is left beside it: the temporary file took the path.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(ReproFileTest, AnUnwritablePathIsAClearError) {
  absl::StatusOr<Repro> made = MakeRepro("renderer", APoison(), ASegv());
  ASSERT_TRUE(made.ok());
  const std::string missing_dir = PathOf("no/such/dir/x.repro");
  absl::Status status = WriteRepro(missing_dir, *made);
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr(missing_dir));

  // A directory where the file would go.
  std::filesystem::create_directories(PathOf("a_dir"));
  status = WriteRepro(PathOf("a_dir"), *made);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("a_dir"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);  // Only a_dir: no temporary file left behind.
}

TEST_F(ReproFileTest, AReadOnlyDirectoryIsPermissionDenied) {
#if defined(_WIN32)
  GTEST_SKIP() << "POSIX permission bits: Windows' ACLs do not follow them";
#else
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root writes anywhere (the unprivileged run checks this)";
  }
#endif
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_exec);
  absl::StatusOr<Repro> made = MakeRepro("renderer", APoison(), ASegv());
  ASSERT_TRUE(made.ok());
  absl::Status status = WriteRepro(PathOf("x.repro"), *made);
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
}

TEST_F(ReproFileTest, GarbageIsNotARepro) {
  const std::string path = PathOf("garbage");
  WriteBytes(path, "hello, this is a text file\n");
  absl::StatusOr<Repro> read = ReadRepro(path);
  EXPECT_TRUE(absl::IsInvalidArgument(read.status())) << read.status();
  EXPECT_THAT(read.status().message(), HasSubstr("not a repro file"));
  EXPECT_THAT(read.status().message(), HasSubstr(path));

  WriteBytes(path, "");
  EXPECT_TRUE(absl::IsInvalidArgument(ReadRepro(path).status()));
  WriteBytes(path, std::string("BHREPRO\n\x03\0\0\0\xff\xff\xff", 15));
  read = ReadRepro(path);
  EXPECT_TRUE(absl::IsInvalidArgument(read.status())) << read.status();
  EXPECT_THAT(read.status().message(), HasSubstr("does not parse"));
}

TEST_F(ReproFileTest, ATruncatedFileIsRefused) {
  absl::StatusOr<Repro> made = MakeRepro("renderer", APoison(), ASegv());
  ASSERT_TRUE(made.ok());
  absl::StatusOr<std::string> bytes = SerializeRepro(*made);
  ASSERT_TRUE(bytes.ok());
  // Every cut but the whole file fails: a repro whose end is lost is never
  // taken for a smaller one.
  for (size_t size = 0; size < bytes->size(); ++size) {
    EXPECT_FALSE(ParseRepro(bytes->substr(0, size)).ok()) << "cut at " << size;
  }
  EXPECT_TRUE(ParseRepro(*bytes).ok());
}

TEST_F(ReproFileTest, AnOversizedRequestIsRefusedBothWays) {
  roles::LayoutTextRequest big;
  big.set_text(std::string(2 << 20, 'x'));
  absl::StatusOr<Repro> made = MakeRepro("renderer", big, ASegv());
  EXPECT_TRUE(absl::IsResourceExhausted(made.status())) << made.status();
  EXPECT_THAT(made.status().message(), HasSubstr("at most 1048576"));

  // Allowed by a raised cap, the file is then refused by a reader with the
  // default one.
  made = MakeRepro("renderer", big, ASegv(), 4 << 20);
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string path = PathOf("big.repro");
  ASSERT_TRUE(WriteRepro(path, *made, {.max_request_bytes = 4 << 20}).ok());
  absl::StatusOr<Repro> read = ReadRepro(path);
  EXPECT_TRUE(absl::IsResourceExhausted(read.status())) << read.status();
  EXPECT_TRUE(ReadRepro(path, 4 << 20).ok());
}

TEST_F(ReproFileTest, AnEndlessFileOrADirectoryIsRefused) {
  absl::StatusOr<Repro> read = ReadRepro("/dev/zero");
  EXPECT_TRUE(absl::IsResourceExhausted(read.status())) << read.status();
  read = ReadRepro(dir_.string());
  EXPECT_TRUE(absl::IsInvalidArgument(read.status())) << read.status();
  EXPECT_THAT(read.status().message(), HasSubstr("directory"));
  read = ReadRepro(PathOf("missing.repro"));
  EXPECT_TRUE(absl::IsNotFound(read.status())) << read.status();
}

TEST_F(ReproFileTest, EveryFieldIsChecked) {
  absl::StatusOr<Repro> made = MakeRepro("renderer", APoison(), ASegv());
  ASSERT_TRUE(made.ok());
  auto refused = [&](auto spoil) {
    Repro repro = *made;
    spoil(repro);
    return !SerializeRepro(repro).ok();
  };
  EXPECT_TRUE(refused([](Repro& r) { r.role = ""; }));
  EXPECT_TRUE(refused([](Repro& r) { r.role = "../etc"; }));
  EXPECT_TRUE(refused([](Repro& r) { r.request_type = ""; }));
  EXPECT_TRUE(refused([](Repro& r) { r.request_type = "a..b"; }));
  EXPECT_TRUE(refused([](Repro& r) { r.request_type = "9lives"; }));
  EXPECT_TRUE(refused([](Repro& r) { r.request_type = "x.y."; }));
  EXPECT_TRUE(refused([](Repro& r) { r.exit.signal = -1; }));
  EXPECT_TRUE(refused([](Repro& r) { r.exit.pid = -5; }));
  EXPECT_TRUE(refused([](Repro& r) {
    r.exit.stack_trace.assign(kMaxReproLines + 1, "frame");
  }));
  EXPECT_TRUE(refused([](Repro& r) {
    r.exit.detail = std::string(kMaxReproLineBytes + 1, 'd');
  }));
  EXPECT_TRUE(refused([](Repro& r) { r.made = absl::FromUnixSeconds(-1); }));
  EXPECT_FALSE(refused([](Repro&) {}));

  // Another format version, and an exit kind whose name is not its number's,
  // in a file.
  absl::StatusOr<std::string> bytes = SerializeRepro(*made);
  ASSERT_TRUE(bytes.ok());
  std::string future = *bytes;
  // After the magic and the size: field 1 (format_version), a varint.
  ASSERT_EQ(future[12], '\x08');
  future[13] = kReproFormatVersion + 1;
  EXPECT_TRUE(absl::IsUnimplemented(ParseRepro(future).status()))
      << ParseRepro(future).status();
  std::string kind = *bytes;
  const size_t at = kind.find("crashed");
  ASSERT_NE(at, std::string::npos);
  kind.replace(at, 7, "crushed");
  absl::StatusOr<Repro> read = ParseRepro(kind);
  EXPECT_TRUE(absl::IsInvalidArgument(read.status())) << read.status();
  EXPECT_THAT(read.status().message(),
              HasSubstr("is named 'crushed' in the record, not 'crashed'"));
}

TEST_F(ReproFileTest, LongExitInfoIsCutToTheCaps) {
  ExitInfo exit = ASegv();
  exit.stack_trace.assign(kMaxReproLines + 50, std::string(2000, 's'));
  exit.stack_trace[0] = "#0 first";
  exit.last_stderr_lines.assign(kMaxReproLines + 50, "old");
  exit.last_stderr_lines.back() = "last words";
  exit.detail = std::string(5000, 'd');
  absl::StatusOr<Repro> made = MakeRepro("renderer", APoison(), exit);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->exit.stack_trace.size(), kMaxReproLines);
  EXPECT_EQ(made->exit.stack_trace.front(), "#0 first");
  EXPECT_EQ(made->exit.last_stderr_lines.size(), kMaxReproLines);
  EXPECT_EQ(made->exit.last_stderr_lines.back(), "last words");
  EXPECT_EQ(made->exit.detail.size(), kMaxReproLineBytes);
  absl::StatusOr<std::string> bytes = SerializeRepro(*made);
  ASSERT_TRUE(bytes.ok());
  EXPECT_LE(bytes->size(), MaxReproFileBytes(made->request.size()));
  EXPECT_TRUE(ParseRepro(*bytes).ok());
}

// Every kind a helper can end with, kDeadlineKilled (a pool task's deadline)
// among them.
constexpr ExitKind kEveryKind[] = {
    ExitKind::kNormalExit,     ExitKind::kErrorExit,
    ExitKind::kCrashed,        ExitKind::kKilledByHost,
    ExitKind::kHung,           ExitKind::kBadMessage,
    ExitKind::kOutOfMemory,    ExitKind::kSandboxViolation,
    ExitKind::kCpuLimit,       ExitKind::kLaunchFailed,
    ExitKind::kHostShutdown,   ExitKind::kStoppedByHost,
    ExitKind::kDeadlineKilled,
};

// A repro keeps the whole ExitInfo record a failed task's status carries
// (ipc/proto/exit_info.proto), whatever the kind, and bytes that are not
// UTF-8.
TEST_F(ReproFileTest, EveryKindAndTheWholeExitInfoAreReadBack) {
  for (ExitKind kind : kEveryKind) {
    ExitInfo exit = ASegv();
    exit.kind = kind;
    exit.was_ready = true;
    exit.exception_status = 0xC0000005;
    exit.launch_status = absl::NotFoundError("no such file");
    exit.last_stderr_lines = {"\xc3\x28 not utf-8 \xfe"};
    absl::StatusOr<Repro> made = MakeRepro("renderer", APoison(), exit);
    ASSERT_TRUE(made.ok()) << made.status();
    absl::StatusOr<std::string> bytes = SerializeRepro(*made);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<Repro> read = ParseRepro(*bytes);
    ASSERT_TRUE(read.ok()) << ExitKindName(kind) << ": " << read.status();
    EXPECT_EQ(read->exit.kind, kind);
    EXPECT_TRUE(read->exit.was_ready);
    EXPECT_EQ(read->exit.exception_status, 0xC0000005u);
    EXPECT_EQ(read->exit.launch_status, exit.launch_status);
    EXPECT_EQ(read->exit.last_stderr_lines, exit.last_stderr_lines);
    EXPECT_EQ(read->exit.Describe(), exit.Describe());
  }
}

// A file of format version 1 (its own exit record, before the ExitInfo record
// was shared) is refused with what to do, not misread.
TEST_F(ReproFileTest, AVersionOneFileIsRefusedSayingSo) {
  // Field by field: format_version 1, role, request_type, request, the old
  // exit record {kind: "crashed", signal: 11}, bulkhead_version "0.2.0".
  auto field = [](int number, absl::string_view bytes) {
    return absl::StrCat(std::string(1, static_cast<char>(number << 3 | 2)),
                        std::string(1, static_cast<char>(bytes.size())), bytes);
  };
  const std::string record = absl::StrCat(
      std::string("\x08\x01", 2), field(2, "renderer"), field(3, "a.B"),
      field(4, "x"), field(5, absl::StrCat(field(1, "crashed"), "\x18\x0b")),
      field(7, "0.2.0"));
  std::string file = "BHREPRO\n";
  file.push_back(static_cast<char>(record.size()));
  file.append(3, '\0');
  file += record;
  const absl::StatusOr<Repro> read = ParseRepro(file);
  EXPECT_TRUE(absl::IsUnimplemented(read.status())) << read.status();
  EXPECT_THAT(read.status().message(), HasSubstr("format version 1"));
  EXPECT_THAT(read.status().message(), HasSubstr("Bulkhead 0.2.0"));
  EXPECT_THAT(read.status().message(), HasSubstr("make the repro again"));
}

TEST(ExitKindNameTest, EveryKindsNameIsReadBack) {
  for (ExitKind kind : kEveryKind) {
    absl::StatusOr<ExitKind> read = ExitKindFromName(ExitKindName(kind));
    ASSERT_TRUE(read.ok()) << ExitKindName(kind);
    EXPECT_EQ(*read, kind);
  }
}

}  // namespace
}  // namespace bulkhead
