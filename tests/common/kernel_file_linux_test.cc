#include "common/kernel_file_linux.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/proc_stat_linux.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

// A read that fails after the open succeeded: what a /proc file of a process
// that ends between the two gives (ESRCH), made here deterministically with a
// directory (EISDIR). An istreambuf_iterator over an ifstream throws there,
// and in the host that was std::terminate: the chaos soak saw it once, reading
// /proc/<pid>/cmdline of a helper that had just died.
TEST(KernelFileTest, AReadErrorIsAnEmptyFileNotAnException) {
  const std::string directory = ::testing::TempDir();
  EXPECT_EQ(ReadKernelFile(directory), "");
  EXPECT_TRUE(ProcStatFields(directory).empty());
}

TEST(KernelFileTest, ReadsAFileTheKernelServesWhole) {
  const std::string stat = ReadKernelFile("/proc/self/stat");
  ASSERT_FALSE(stat.empty());
  EXPECT_EQ(stat.back(), '\n');
  // Fields 3 and on: the state, then the parent's pid.
  const std::vector<std::string> fields = ProcStatFields("/proc/self/stat");
  ASSERT_GT(fields.size(), 20u);
  EXPECT_EQ(fields[0], "R");
}

TEST(KernelFileTest, AFileLongerThanOneReadIsReadWhole) {
  const std::string path = ::testing::TempDir() + "/kernel_file_test_long";
  std::string text;
  for (int i = 0; text.size() < 100'000; ++i) text += std::to_string(i) + '\n';
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  EXPECT_EQ(ReadKernelFile(path), text);
  std::remove(path.c_str());
}

TEST(KernelFileTest, AMissingFileIsEmpty) {
  EXPECT_EQ(ReadKernelFile("/proc/self/no-such-file"), "");
  EXPECT_TRUE(ProcStatFields("/proc/self/no-such-file").empty());
}

}  // namespace
}  // namespace bulkhead
