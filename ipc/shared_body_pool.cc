#include "ipc/shared_body_pool.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace bulkhead::ipc {
namespace {

// Regions come in powers of two from 256 KiB, so that a stream of similar
// sizes reuses one region.
constexpr size_t kMinRegionBytes = 256 * 1024;
// The receiver's copy buffer shrinks back after a body larger than this.
constexpr size_t kMaxKeptCopyBytes = 4u << 20;

size_t RegionSizeFor(size_t size) {
  size_t region = kMinRegionBytes;
  while (region < size) region *= 2;
  return region;
}

}  // namespace

absl::StatusOr<SharedBodyPool::Lease> SharedBodyPool::Acquire(size_t size) {
  // The smallest free region that fits; else an empty slot; else the
  // smallest free region, replaced by a larger one.
  int best = -1, empty = -1, smallest_free = -1;
  for (int i = 0; i < static_cast<int>(kMaxSharedRegions); ++i) {
    const std::optional<Region>& region = regions_[i];
    if (!region.has_value()) {
      if (empty < 0) empty = i;
      continue;
    }
    if (region->busy) continue;
    const size_t capacity = region->memory.size();
    if (capacity >= size &&
        (best < 0 || capacity < regions_[best]->memory.size())) {
      best = i;
    }
    if (smallest_free < 0 ||
        capacity < regions_[smallest_free]->memory.size()) {
      smallest_free = i;
    }
  }
  Lease lease;
  if (best < 0) {
    best = empty >= 0 ? empty : smallest_free;
    if (best < 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("all ", kMaxSharedRegions,
                       " shared-memory regions are waiting for the peer"));
    }
    absl::StatusOr<WritableSharedMemoryRegion> memory =
        WritableSharedMemoryRegion::Create(RegionSizeFor(size));
    if (!memory.ok()) return memory.status();
    absl::StatusOr<ScopedHandle> handle = memory->ShareWritable();
    if (!handle.ok()) return handle.status();
    regions_[best] = Region{*std::move(memory), false};
    lease.handle_to_send = *std::move(handle);
  }
  Region& region = *regions_[best];
  region.busy = true;
  lease.id = static_cast<uint32_t>(best) + 1;
  lease.bytes = region.memory.bytes();
  return lease;
}

void SharedBodyPool::Release(uint32_t id) {
  if (id == 0 || id > kMaxSharedRegions) return;
  std::optional<Region>& region = regions_[id - 1];
  if (!region.has_value() || !region->busy) return;
  region->busy = false;
  size_t idle = 0;
  for (const std::optional<Region>& other : regions_) {
    if (other.has_value() && !other->busy) idle += other->memory.size();
  }
  if (idle > max_idle_bytes_) region->memory.Discard();
}

void SharedBodyPool::Drop(uint32_t id) {
  if (id >= 1 && id <= kMaxSharedRegions) regions_[id - 1].reset();
}

bool SharedBodyPool::all_busy() const {
  return std::all_of(regions_.begin(), regions_.end(),
                     [](const std::optional<Region>& region) {
                       return region.has_value() && region->busy;
                     });
}

void SharedBodyMappings::Forget(uint32_t id) {
  if (id >= 1 && id <= kMaxSharedRegions) regions_[id - 1].reset();
}

absl::StatusOr<absl::string_view> SharedBodyMappings::Body(uint32_t id,
                                                           ScopedHandle handle,
                                                           uint64_t region_size,
                                                           uint64_t size) {
  if (id == 0 || id > kMaxSharedRegions) {
    return absl::InvalidArgumentError(
        absl::StrCat("shared region ", id, " is out of range"));
  }
  std::optional<ReadOnlySharedMemoryMapping>& region = regions_[id - 1];
  if (handle.is_valid()) {
    region.reset();  // Whatever comes of the new one, the old is gone.
    absl::StatusOr<ReadOnlySharedMemoryMapping> mapped =
        ReadOnlySharedMemoryMapping::MapFixedSize(std::move(handle),
                                                  region_size);
    if (!mapped.ok()) return mapped.status();
    region = *std::move(mapped);
  }
  if (!region.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("shared region ", id, " was never sent"));
  }
  const absl::Span<const char> bytes = region->bytes();
  if (size > bytes.size()) {
    return absl::DataLossError(absl::StrCat(
        "shared body of ", size, " bytes in a region of ", bytes.size()));
  }
  if (!copy_bodies_) return absl::string_view(bytes.data(), size);
  // The sender can write the region at any time: what is parsed is a copy.
  if (copy_.capacity() > kMaxKeptCopyBytes && size <= kMaxKeptCopyBytes) {
    std::string().swap(copy_);
  }
  copy_.resize(size);
  std::memcpy(copy_.data(), bytes.data(), size);
  return absl::string_view(copy_);
}

}  // namespace bulkhead::ipc
