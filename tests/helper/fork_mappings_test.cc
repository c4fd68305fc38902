// The zygote's preparation of its code mappings (helper/fork_mappings_linux.h):
// after it, a forked child finds the pages its parent had paged in already
// mapped, where before it faulted each in again; and no mapping changed its
// contents or permissions. Each test works in a process forked for it, so
// that the test binary's own mappings stay as they were.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/kernel_file_linux.h"
#include "gtest/gtest.h"
#include "helper/fork_mappings_linux.h"

namespace bulkhead {
namespace {

constexpr size_t kPage = 4096;
// The kernel maps up to 16 pages around a faulting one (fault-around, 64 KiB
// aligned): pages this far apart fault one by one.
constexpr size_t kStride = 16 * kPage;

// Runs `body` in a forked child and returns what it returned (a line of
// text), or a description of how the child failed.
template <typename Body>
std::string InForkedProcess(Body body) {
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(out[0]);
    const std::string said = body();
    (void)!::write(out[1], said.data(), said.size());
    ::_exit(0);
  }
  ::close(out[1]);
  std::string said;
  char buffer[512];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) {
    said.append(buffer, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::StrCat("the child ended with status ", status);
  }
  return said;
}

// The private, read-only file mappings as "start-end perms path" lines.
std::vector<std::string> ReadOnlyFileMappingLines() {
  std::vector<std::string> lines;
  for (absl::string_view line :
       absl::StrSplit(ReadKernelFile("/proc/self/maps"), '\n')) {
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 6 || fields[5][0] != '/') continue;
    if (fields[1][1] == 'w' || fields[1][3] != 'p') continue;
    lines.push_back(absl::StrCat(fields[0], " ", fields[1], " ", fields[5]));
  }
  return lines;
}

// The largest readable private file mapping of this process: [start, end).
std::pair<uintptr_t, uintptr_t> LargestReadOnlyFileMapping() {
  std::pair<uintptr_t, uintptr_t> largest = {0, 0};
  for (const std::string& line : ReadOnlyFileMappingLines()) {
    const std::vector<std::string> words = absl::StrSplit(line, ' ');
    const std::vector<std::string> range = absl::StrSplit(words[0], '-');
    uintptr_t start = 0, end = 0;
    if (words[1][0] != 'r' || !absl::SimpleHexAtoi(range[0], &start) ||
        !absl::SimpleHexAtoi(range[1], &end)) {
      continue;
    }
    if (end - start > largest.second - largest.first) largest = {start, end};
  }
  return largest;
}

uint64_t MinorFaults() {
  rusage usage = {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_minflt);
}

// Reads one byte every kStride in [start, end).
void Touch(uintptr_t start, uintptr_t end) {
  for (uintptr_t at = start; at < end; at += kStride) {
    (void)*reinterpret_cast<volatile const unsigned char*>(at);
  }
}

// The minor faults a forked child takes reading one byte every kStride of
// [start, end), pages its parent has present.
uint64_t ChildFaultsTouching(uintptr_t start, uintptr_t end) {
  const std::string said = InForkedProcess([&] {
    MinorFaults();  // Its own stack's copy-on-write fault, taken before.
    const uint64_t before = MinorFaults();
    Touch(start, end);
    return absl::StrCat(MinorFaults() - before);
  });
  uint64_t faults = 0;
  return absl::SimpleAtoi(said, &faults) ? faults : ~0ull;
}

TEST(ForkMappingsTest, AForkedChildFindsThePagesItsParentHadPagedIn) {
  const std::string said = InForkedProcess([] {
    auto [start, end] = LargestReadOnlyFileMapping();
    end = std::min(end, start + 64 * kStride);
    const uint64_t pages = (end - start + kStride - 1) / kStride;
    if (pages < 8) return std::string("skip: no mapping large enough");
    Touch(start, end);  // Present here.
    const uint64_t unprepared = ChildFaultsTouching(start, end);
    const absl::StatusOr<ForkMappingsResult> result = PrepareMappingsForFork();
    if (!result.ok()) return std::string(result.status().ToString());
    const uint64_t prepared = ChildFaultsTouching(start, end);
    return absl::StrCat(pages, " ", unprepared, " ", prepared, " ",
                        result->mappings, " ", result->prepared);
  });
  if (said.rfind("skip:", 0) == 0) GTEST_SKIP() << said;
  std::printf("pages, faults unprepared and prepared, mappings, prepared: %s\n",
              said.c_str());
  const std::vector<std::string> words = absl::StrSplit(said, ' ');
  ASSERT_EQ(words.size(), 5u) << said;
  uint64_t pages = 0, unprepared = 0, prepared = 0, mappings = 0, done = 0;
  ASSERT_TRUE(absl::SimpleAtoi(words[0], &pages) &&
              absl::SimpleAtoi(words[1], &unprepared) &&
              absl::SimpleAtoi(words[2], &prepared) &&
              absl::SimpleAtoi(words[3], &mappings) &&
              absl::SimpleAtoi(words[4], &done))
      << said;
  EXPECT_GT(mappings, 0u);
  EXPECT_EQ(done, mappings) << "mappings left unprepared";
  // Before: the child faulted (nearly) every page in again.
  EXPECT_GE(unprepared, pages / 2) << said;
  // After: fork gave it the parent's entries.
  EXPECT_LE(prepared, 2u) << "of " << pages << " pages; unprepared "
                          << unprepared;
}

TEST(ForkMappingsTest, ContentsAndPermissionsStayAsTheyWere) {
  const std::string said = InForkedProcess([] {
    // Every mapping's permissions, and the first bytes of each readable one.
    const auto snapshot = [] {
      std::vector<std::string> lines = ReadOnlyFileMappingLines();
      for (std::string& line : lines) {
        const std::vector<std::string> words = absl::StrSplit(line, ' ');
        uintptr_t start = 0;
        if (words[1][0] != 'r' ||
            !absl::SimpleHexAtoi(absl::StrSplit(words[0], '-').begin()->data(),
                                 &start)) {
          continue;
        }
        const auto* bytes = reinterpret_cast<const unsigned char*>(start);
        for (int i = 0; i < 16; ++i) absl::StrAppend(&line, " ", bytes[i]);
      }
      return lines;
    };
    const std::vector<std::string> before = snapshot();
    const absl::StatusOr<ForkMappingsResult> result = PrepareMappingsForFork();
    if (!result.ok()) return std::string(result.status().ToString());
    const std::vector<std::string> after = snapshot();
    if (before == after) return std::string("same");
    return absl::StrCat("before:\n", absl::StrJoin(before, "\n"), "\nafter:\n",
                        absl::StrJoin(after, "\n"));
  });
  EXPECT_EQ(said, "same");
}

}  // namespace
}  // namespace bulkhead
