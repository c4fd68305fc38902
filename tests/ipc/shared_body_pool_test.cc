// The pool of regions for large messages: reuse, limits, and a receiver that
// copies before anyone reads.
#include "ipc/shared_body_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace bulkhead::ipc {
namespace {

TEST(SharedBodyPoolTest, AFreedRegionIsReusedWithoutSendingItAgain) {
  SharedBodyPool pool(32u << 20);
  absl::StatusOr<SharedBodyPool::Lease> first = pool.Acquire(100 * 1024);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->handle_to_send.is_valid());
  EXPECT_GE(first->bytes.size(), 100u * 1024);
  const uint32_t id = first->id;
  pool.Release(id);
  absl::StatusOr<SharedBodyPool::Lease> again = pool.Acquire(90 * 1024);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, id);
  EXPECT_FALSE(again->handle_to_send.is_valid());
  // Busy regions are not handed out twice.
  absl::StatusOr<SharedBodyPool::Lease> other = pool.Acquire(90 * 1024);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->id, id);
  EXPECT_TRUE(other->handle_to_send.is_valid());
}

TEST(SharedBodyPoolTest, IdleRegionsKeepTheirPagesUpToTheLimit) {
  for (const size_t max_idle : {size_t{0}, size_t{32} << 20}) {
    SharedBodyPool pool(max_idle);
    absl::StatusOr<SharedBodyPool::Lease> lease = pool.Acquire(100 * 1024);
    ASSERT_TRUE(lease.ok());
    std::memset(lease->bytes.data(), 'x', 4096);
    pool.Release(lease->id);
    absl::StatusOr<SharedBodyPool::Lease> again = pool.Acquire(100 * 1024);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->id, lease->id);
    // Kept: the old bytes are still there. Given back: fresh zeroed pages.
    EXPECT_EQ(again->bytes[0], max_idle > 0 ? 'x' : '\0') << max_idle;
  }
}

TEST(SharedBodyPoolTest, EveryRegionBusyIsResourceExhausted) {
  SharedBodyPool pool(32u << 20);
  std::set<uint32_t> ids;
  for (uint32_t i = 0; i < kMaxSharedRegions; ++i) {
    absl::StatusOr<SharedBodyPool::Lease> lease = pool.Acquire(70 * 1024);
    ASSERT_TRUE(lease.ok()) << lease.status();
    ids.insert(lease->id);
  }
  EXPECT_EQ(ids.size(), kMaxSharedRegions);
  EXPECT_TRUE(absl::IsResourceExhausted(pool.Acquire(70 * 1024).status()));
  // A peer's lies about ids change nothing.
  pool.Release(0);
  pool.Release(kMaxSharedRegions + 1);
  EXPECT_TRUE(absl::IsResourceExhausted(pool.Acquire(70 * 1024).status()));
  pool.Release(*ids.begin());
  pool.Release(*ids.begin());  // Twice: still one free region.
  EXPECT_TRUE(pool.Acquire(70 * 1024).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(pool.Acquire(70 * 1024).status()));
}

TEST(SharedBodyPoolTest, ALargerBodyReplacesAFreeRegionAndSendsItAnew) {
  SharedBodyPool pool(32u << 20);
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < kMaxSharedRegions; ++i) {
    ids.push_back(pool.Acquire(70 * 1024)->id);
  }
  pool.Release(ids[3]);
  absl::StatusOr<SharedBodyPool::Lease> big = pool.Acquire(8u << 20);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->id, ids[3]);
  EXPECT_TRUE(big->handle_to_send.is_valid());
  EXPECT_GE(big->bytes.size(), 8u << 20);
}

TEST(SharedBodyPoolTest, ADroppedRegionIsMadeAnew) {
  SharedBodyPool pool(32u << 20);
  const uint32_t id = pool.Acquire(70 * 1024)->id;
  pool.Drop(id);
  absl::StatusOr<SharedBodyPool::Lease> again = pool.Acquire(70 * 1024);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, id);
  EXPECT_TRUE(again->handle_to_send.is_valid());
}

// A 100 KiB body of 'a's, sent from `pool` and taken by `mappings`: the
// sender's lease (to write again) and the receiver's view of the body.
struct SentBody {
  SharedBodyPool::Lease lease;
  absl::string_view body;
};
SentBody SendAs(SharedBodyPool& pool, SharedBodyMappings& mappings) {
  absl::StatusOr<SharedBodyPool::Lease> lease = pool.Acquire(100 * 1024);
  EXPECT_TRUE(lease.ok()) << lease.status();
  if (!lease.ok()) return {};
  std::memset(lease->bytes.data(), 'a', 100 * 1024);
  absl::StatusOr<absl::string_view> body =
      mappings.Body(lease->id, std::move(lease->handle_to_send),
                    lease->bytes.size(), 100 * 1024);
  EXPECT_TRUE(body.ok()) << body.status();
  return {*std::move(lease), body.ok() ? *body : absl::string_view()};
}

TEST(SharedBodyMappingsTest, TheBodyIsACopyTheSenderCannotChange) {
  SharedBodyPool pool(32u << 20);
  SharedBodyMappings mappings(/*copy_bodies=*/true);
  auto [lease, body] = SendAs(pool, mappings);
  ASSERT_EQ(body.size(), 100u * 1024);
  // The sender writes again while the receiver still looks at the body.
  std::memset(lease.bytes.data(), 'b', 100 * 1024);
  EXPECT_EQ(body, std::string(100 * 1024, 'a'));
  // The region stays mapped: the next body needs no handle.
  absl::StatusOr<absl::string_view> next =
      mappings.Body(lease.id, ScopedHandle(), 0, 10);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, std::string(10, 'b'));
}

TEST(SharedBodyMappingsTest, ATrustedSendersBodyIsReadInPlace) {
  // No copy: the body is the region itself (what the sender writes later
  // shows through, which a trusted sender does not do before it is taken).
  SharedBodyPool pool(32u << 20);
  SharedBodyMappings mappings(/*copy_bodies=*/false);
  auto [lease, body] = SendAs(pool, mappings);
  ASSERT_EQ(body, std::string(100 * 1024, 'a'));
  lease.bytes[0] = 'b';
  EXPECT_EQ(body[0], 'b');
  // The checks stay: a body larger than its region is still refused.
  EXPECT_TRUE(absl::IsDataLoss(
      mappings.Body(lease.id, ScopedHandle(), 0, 1u << 30).status()));
}

TEST(SharedBodyMappingsTest, ARegionWhoseSizeIsNotSealedIsRefused) {
  const int fd = memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  SharedBodyMappings mappings(/*copy_bodies=*/true);
  absl::StatusOr<absl::string_view> body =
      mappings.Body(1, ScopedHandle(fd), 4096, 100);
  EXPECT_TRUE(absl::IsFailedPrecondition(body.status())) << body.status();
  // Nothing was kept for region 1.
  EXPECT_TRUE(absl::IsInvalidArgument(
      mappings.Body(1, ScopedHandle(), 0, 100).status()));
}

}  // namespace
}  // namespace bulkhead::ipc
