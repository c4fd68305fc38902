#include "host/symbol_index.h"

#include <cstdint>
#include <memory>
#include <string>

#include "absl/debugging/symbolize.h"
#include "absl/strings/match.h"
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

}  // namespace
}  // namespace bulkhead
