#include "host/symbol_index.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/debugging/symbolize.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/platform.h"
#include "common/process_image.h"
#include "gtest/gtest.h"
#include "host/launch/launcher.h"
#include "host/symbolizer.h"

namespace bulkhead {
namespace {

// Kept out of line, so that it has an address and a size of its own.
__attribute__((noinline)) int SymbolIndexTestTarget(int x) {
  volatile int y = x;
  return y * 3 + 1;
}

std::unique_ptr<SymbolIndex> LoadOwn() {
  absl::StatusOr<std::string> self = CurrentExecutablePath();
  if (!self.ok()) return nullptr;
  return SymbolIndex::Load(*self);
}

uint64_t Linked(const void* address) {
  return reinterpret_cast<uintptr_t>(address) - MainExecutableImage().base;
}

TEST(SymbolIndexTest, NamesFunctionsAsAbseilDoes) {
  std::unique_ptr<SymbolIndex> index = LoadOwn();
  if (index == nullptr) GTEST_SKIP() << "no symbol index on this platform";
  EXPECT_GT(index->size(), 100u);
  InitializeSymbolizerOnce();
  for (const void* function :
       {reinterpret_cast<const void*>(&SymbolIndexTestTarget),
        reinterpret_cast<const void*>(&SymbolizeCrash),
        reinterpret_cast<const void*>(&LoadOwn)}) {
    char expected[1024];
    ASSERT_TRUE(absl::Symbolize(function, expected, sizeof(expected)));
    EXPECT_EQ(index->NameFor(Linked(function)), expected);
    // Inside the function, not only its first byte.
    EXPECT_EQ(index->NameFor(Linked(function) + 1), expected);
  }
  EXPECT_TRUE(absl::StrContains(
      index->NameFor(
          Linked(reinterpret_cast<const void*>(&SymbolIndexTestTarget))),
      "SymbolIndexTestTarget"));
}

TEST(SymbolIndexTest, NothingOutsideFunctions) {
  std::unique_ptr<SymbolIndex> index = LoadOwn();
  if (index == nullptr) GTEST_SKIP() << "no symbol index on this platform";
  EXPECT_EQ(index->NameFor(0), "");
  EXPECT_EQ(index->NameFor(~uint64_t{0}), "");
}

TEST(SymbolIndexTest, RejectsWhatIsNotAnExecutable) {
  EXPECT_EQ(SymbolIndex::Load("/nonexistent/bulkhead"), nullptr);
  EXPECT_EQ(SymbolIndex::Load("/dev/null"), nullptr);
}

TEST(SymbolIndexTest, CrashFramesAreNamed) {
  if (!CanSymbolizeOwnCode()) GTEST_SKIP() << "no symbolizer for this build";
  ipc::CrashRecord record;
  record.image_base = MainExecutableImage().base;
  // Frame 0 is looked up as is; later ones are return addresses (one past).
  record.frames = {reinterpret_cast<uintptr_t>(&SymbolIndexTestTarget) + 2,
                   reinterpret_cast<uintptr_t>(&SymbolIndexTestTarget) + 2};
  absl::StatusOr<std::string> self = CurrentExecutablePath();
  ASSERT_TRUE(self.ok());
  const std::vector<std::string> lines =
      SymbolizeCrash(record, IsHostExecutable(*self));
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) {
    EXPECT_TRUE(absl::StrContains(line, "SymbolIndexTestTarget")) << line;
  }
}

#if defined(BULKHEAD_OS_LINUX)
// This process's descriptors open on `path`.
int DescriptorsOn(const std::string& path) {
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    if (std::filesystem::read_symlink(entry.path(), error) == path) ++count;
  }
  return count;
}

// An address in the executable's code that no function holds (.init's tail,
// the PLT): the frame of a helper caught in a PLT stub. 0 if none was found.
uintptr_t CodeOutsideEveryFunction(const SymbolIndex& index,
                                   const std::string& self) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    // "start-end perms offset dev inode path"
    std::vector<std::string> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 6 || fields[5] != self || fields[1] != "r-xp") {
      continue;
    }
    const std::vector<std::string> range = absl::StrSplit(fields[0], '-');
    uint64_t start = 0, end = 0;
    if (range.size() != 2 || !absl::SimpleHexAtoi(range[0], &start) ||
        !absl::SimpleHexAtoi(range[1], &end)) {
      continue;
    }
    const uint64_t base = MainExecutableImage().base;
    for (uint64_t at = start; at < end && at < start + (1u << 20); ++at) {
      if (index.NameFor(at - base).empty()) return at;
    }
  }
  return 0;
}

// Names a frame outside every function, then exits: 0 if that opened no
// descriptor on the executable and own code is still named.
[[noreturn]] void SymbolizeOutsideEveryFunctionAndExit(
    const SymbolIndex& index) {
  absl::StatusOr<std::string> self = CurrentExecutablePath();
  const uintptr_t outside =
      self.ok() ? CodeOutsideEveryFunction(index, *self) : 0;
  if (outside == 0) {
    std::fprintf(stderr, "no code outside every function found\n");
    std::_Exit(2);
  }
  const int before = DescriptorsOn(*self);
  ipc::CrashRecord record;
  record.image_base = MainExecutableImage().base;
  record.frames = {outside, outside + 1};
  const std::vector<std::string> lines =
      SymbolizeCrash(record, IsHostExecutable(*self));
  const bool named = CanSymbolizeOwnCode();
  const int after = DescriptorsOn(*self);
  std::fprintf(stderr, "%s | descriptors on the executable: %d -> %d%s\n",
               lines.empty() ? "" : lines[0].c_str(), before, after,
               named ? "" : " | own code unnamed");
  std::_Exit(after == before && named && lines.size() == 2 ? 0 : 1);
}

// Abseil's ELF symbolizer opens the executable on first use and keeps the
// descriptor, without O_CLOEXEC, for the life of the process: naming a crash
// must never ask it where the index answers. In a fresh process (a
// threadsafe death test re-executes this binary), so that no earlier test's
// use of Abseil's symbolizer hides the descriptor.
TEST(SymbolizerTest, AFrameOutsideEveryFunctionOpensNoDescriptor) {
  std::unique_ptr<SymbolIndex> index = LoadOwn();
  if (index == nullptr) GTEST_SKIP() << "no symbol index on this platform";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(SymbolizeOutsideEveryFunctionAndExit(*index),
              ::testing::ExitedWithCode(0), "descriptors on the executable");
}
#endif  // BULKHEAD_OS_LINUX

}  // namespace
}  // namespace bulkhead
