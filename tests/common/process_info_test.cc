#include "common/process_info.h"

#include <uv.h>

#include "gtest/gtest.h"

namespace bulkhead {
namespace {

// Whether this platform gives a process's CPU time and memory at all.
bool UsageAvailable() {
  return !absl::IsUnimplemented(GetProcessUsage(uv_os_getpid()).status());
}

constexpr char kNoUsage[] =
    "no process CPU time or memory on this platform (docs/platforms.md)";

TEST(ProcessInfoTest, ReportsThisProcess) {
  if (!UsageAvailable()) GTEST_SKIP() << kNoUsage;
  absl::StatusOr<ProcessUsage> usage = GetProcessUsage(uv_os_getpid());
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_GT(usage->resident_bytes, 1u << 20);  // A gtest binary, at least.
  EXPECT_GE(usage->cpu_time, absl::ZeroDuration());
}

TEST(ProcessInfoTest, CpuTimeGrowsWithWork) {
  if (!UsageAvailable()) GTEST_SKIP() << kNoUsage;
  absl::StatusOr<ProcessUsage> before = GetProcessUsage(uv_os_getpid());
  ASSERT_TRUE(before.ok());
  // Burn CPU until the OS's accounting (clock ticks) shows it.
  volatile uint64_t sink = 0;
  absl::StatusOr<ProcessUsage> after = before;
  for (int round = 0;
       round < 1000 && after.ok() && after->cpu_time <= before->cpu_time;
       ++round) {
    for (int i = 0; i < 5'000'000; ++i) sink = sink + static_cast<uint64_t>(i);
    after = GetProcessUsage(uv_os_getpid());
  }
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after->cpu_time, before->cpu_time);
}

TEST(ProcessInfoTest, NoSuchProcessIsNotFound) {
  // Beyond the largest pid any supported kernel hands out.
  EXPECT_EQ(GetProcessUsage(0x7ffffff0).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace bulkhead
