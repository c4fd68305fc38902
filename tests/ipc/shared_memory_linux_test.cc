// What only Linux can promise: sealed bytes, an exact size, and a region that
// really crosses into another process.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "ipc/shared_memory.h"

namespace bulkhead::ipc {
namespace {

// A checksum that depends on every word's position, a word at a time.
uint64_t Sum(absl::Span<const char> bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    sum = sum * 31 + word;
  }
  return sum;
}

ScopedHandle SealedRegion(size_t size, uint64_t* sum) {
  absl::StatusOr<WritableSharedMemoryRegion> region =
      WritableSharedMemoryRegion::Create(size);
  EXPECT_TRUE(region.ok()) << region.status();
  for (size_t i = 0; i + 8 <= size; i += 8) {
    const uint64_t word = i * 0x9e3779b97f4a7c15ull;
    std::memcpy(region->bytes().data() + i, &word, 8);
  }
  if (sum != nullptr) *sum = Sum(region->bytes());
  absl::StatusOr<ScopedHandle> handle = region->Seal();
  EXPECT_TRUE(handle.ok()) << handle.status();
  return *std::move(handle);
}

TEST(SharedMemoryLinuxTest, SealedRegionCannotBeWrittenOrResized) {
  ScopedHandle handle = SealedRegion(8192, nullptr);
  char byte = 1;
  EXPECT_EQ(pwrite(handle.get(), &byte, 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_NE(ftruncate(handle.get(), 4096), 0);
  EXPECT_NE(ftruncate(handle.get(), 1 << 20), 0);
  EXPECT_EQ(
      mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, handle.get(), 0),
      MAP_FAILED);
  EXPECT_EQ(fcntl(handle.get(), F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);
  EXPECT_EQ(errno, EPERM);  // F_SEAL_SEAL: the seals are final too.
}

TEST(SharedMemoryLinuxTest, SmallerThanAnnouncedOrLargerIsDataLoss) {
  absl::StatusOr<ReadOnlySharedMemoryMapping> mapping =
      ReadOnlySharedMemoryMapping::Map(SealedRegion(8192, nullptr), 4096);
  EXPECT_EQ(mapping.status().code(), absl::StatusCode::kDataLoss);
  mapping = ReadOnlySharedMemoryMapping::Map(SealedRegion(8192, nullptr), 8193);
  EXPECT_EQ(mapping.status().code(), absl::StatusCode::kDataLoss);
  mapping = ReadOnlySharedMemoryMapping::Map(SealedRegion(8192, nullptr), 8192);
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  EXPECT_TRUE(mapping->immutable());
}

TEST(SharedMemoryLinuxTest, UnsealedMemoryIsRefused) {
  ScopedHandle fd(memfd_create("unsealed", MFD_CLOEXEC));
  ASSERT_TRUE(fd.is_valid());
  ASSERT_EQ(ftruncate(fd.get(), 4096), 0);
  absl::StatusOr<ReadOnlySharedMemoryMapping> mapping =
      ReadOnlySharedMemoryMapping::Map(std::move(fd), 4096);
  EXPECT_EQ(mapping.status().code(), absl::StatusCode::kFailedPrecondition)
      << mapping.status();
}

TEST(SharedMemoryLinuxTest, NotAMemoryFileIsDataLoss) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ScopedHandle write_end(fds[1]);
  absl::StatusOr<ReadOnlySharedMemoryMapping> mapping =
      ReadOnlySharedMemoryMapping::Map(ScopedHandle(fds[0]), 4096);
  EXPECT_EQ(mapping.status().code(), absl::StatusCode::kDataLoss);
}

// A real second process maps what this one wrote (the descriptor crosses by
// inheritance here; over a channel it will cross with SCM_RIGHTS).
TEST(SharedMemoryLinuxTest, AnotherProcessReadsWhatWasWritten) {
  constexpr size_t kSize = 32 << 20;
  uint64_t sent = 0;
  ScopedHandle handle = SealedRegion(kSize, &sent);
  int result[2];
  ASSERT_EQ(pipe(result), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<ReadOnlySharedMemoryMapping> mapping =
        ReadOnlySharedMemoryMapping::Map(std::move(handle), kSize);
    uint64_t got = mapping.ok() ? Sum(mapping->bytes()) : 0;
    _exit(write(result[1], &got, sizeof(got)) == sizeof(got) ? 0 : 1);
  }
  close(result[1]);
  uint64_t got = 0;
  EXPECT_EQ(read(result[0], &got, sizeof(got)),
            static_cast<ssize_t>(sizeof(got)));
  close(result[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(got, sent);
}

}  // namespace
}  // namespace bulkhead::ipc
