#include "ipc/shared_memory.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace bulkhead::ipc {
namespace {

// Fills `bytes` (a whole number of words) with a pattern that depends on
// every position; a word at a time, so that 100 MiB stay quick in sanitizer
// builds.
void Fill(absl::Span<char> bytes) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::memcpy(bytes.data() + i, &state, 8);
  }
}

uint64_t Checksum(absl::Span<const char> bytes) {
  uint64_t hash = 1469598103934665603ull;
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    hash = (hash ^ word) * 1099511628211ull;
  }
  return hash;
}

TEST(SharedMemoryTest, HundredMiBRoundTripKeepsEveryByte) {
  constexpr size_t kSize = 100 << 20;
  absl::StatusOr<WritableSharedMemoryRegion> region =
      WritableSharedMemoryRegion::Create(kSize);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_EQ(region->bytes().size(), kSize);
  Fill(region->bytes());
  const uint64_t sent = Checksum(region->bytes());
  absl::StatusOr<ScopedHandle> handle = region->Seal();
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_TRUE(region->bytes().empty());  // Spent: no writable view left.

  absl::StatusOr<ReadOnlySharedMemoryMapping> mapping =
      ReadOnlySharedMemoryMapping::Map(*std::move(handle), kSize);
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  ASSERT_EQ(mapping->bytes().size(), kSize);
  EXPECT_EQ(Checksum(mapping->bytes()), sent);
}

TEST(SharedMemoryTest, NewRegionIsZeroFilled) {
  absl::StatusOr<WritableSharedMemoryRegion> region =
      WritableSharedMemoryRegion::Create(10000);
  ASSERT_TRUE(region.ok()) << region.status();
  for (char byte : region->bytes()) ASSERT_EQ(byte, 0);
}

TEST(SharedMemoryTest, RegionLargerThanItIsIsDataLoss) {
  absl::StatusOr<WritableSharedMemoryRegion> region =
      WritableSharedMemoryRegion::Create(3 * 4096);
  ASSERT_TRUE(region.ok()) << region.status();
  absl::StatusOr<ScopedHandle> handle = region->Seal();
  ASSERT_TRUE(handle.ok()) << handle.status();
  // The peer claims a megabyte: reading it would fault past the end.
  absl::StatusOr<ReadOnlySharedMemoryMapping> mapping =
      ReadOnlySharedMemoryMapping::Map(*std::move(handle), 1 << 20);
  EXPECT_EQ(mapping.status().code(), absl::StatusCode::kDataLoss)
      << mapping.status();
}

TEST(SharedMemoryTest, ASharedWritableRegionShowsLaterWrites) {
  // A pool's region: mapped once by the peer, written again and again here.
  constexpr size_t kSize = 8192;
  absl::StatusOr<WritableSharedMemoryRegion> region =
      WritableSharedMemoryRegion::Create(kSize);
  ASSERT_TRUE(region.ok()) << region.status();
  absl::StatusOr<ScopedHandle> handle = region->ShareWritable();
  ASSERT_TRUE(handle.ok()) << handle.status();
  absl::StatusOr<ReadOnlySharedMemoryMapping> mapping =
      ReadOnlySharedMemoryMapping::MapFixedSize(*std::move(handle), kSize);
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  EXPECT_FALSE(mapping->immutable());  // The receiver must copy.
  region->bytes()[kSize - 1] = 'z';
  EXPECT_EQ(mapping->bytes()[kSize - 1], 'z');
  // A claim larger than the region is refused here too.
  absl::StatusOr<ScopedHandle> again = region->ShareWritable();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(
      ReadOnlySharedMemoryMapping::MapFixedSize(*std::move(again), kSize * 16)
          .status()
          .code(),
      absl::StatusCode::kDataLoss);
}

TEST(SharedMemoryTest, EmptyIsRefused) {
  EXPECT_EQ(WritableSharedMemoryRegion::Create(0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SharedMemoryTest, SealingTwiceIsRefused) {
  absl::StatusOr<WritableSharedMemoryRegion> region =
      WritableSharedMemoryRegion::Create(4096);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_TRUE(region->Seal().ok());
  EXPECT_EQ(region->Seal().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SharedMemoryTest, MovedRegionKeepsItsMapping) {
  absl::StatusOr<WritableSharedMemoryRegion> region =
      WritableSharedMemoryRegion::Create(4096);
  ASSERT_TRUE(region.ok()) << region.status();
  region->bytes()[0] = 'x';
  WritableSharedMemoryRegion moved = *std::move(region);
  EXPECT_TRUE(region->bytes().empty());  // NOLINT(bugprone-use-after-move)
  ASSERT_EQ(moved.bytes().size(), 4096u);
  EXPECT_EQ(moved.bytes()[0], 'x');
}

}  // namespace
}  // namespace bulkhead::ipc
