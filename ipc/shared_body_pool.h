// Shared memory for a channel's large messages, reused from message to
// message: fresh pages cost more than the copy they carry (a new 1 MiB memfd
// took ~600 µs to fault in here, copying into a warm one ~40 µs).
//
// The sender keeps up to kMaxRegions regions; a message takes a free one at
// least as large, which stays busy until the peer says it has read it
// (SharedBodyTaken). A region's handle crosses once, when it is made or
// replaced; after that a frame names it by id. The receiver maps each region
// once and, since the sender may write it again at any time, copies a body
// out before anything reads it, unless the sender is trusted (a helper's
// host), which does not write a region before the receiver gave it back.
//
// Thread: the channel's.
#ifndef BULKHEAD_IPC_SHARED_BODY_POOL_H_
#define BULKHEAD_IPC_SHARED_BODY_POOL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/platform_handle.h"
#include "ipc/shared_memory.h"

namespace bulkhead::ipc {

inline constexpr uint32_t kMaxSharedRegions = 16;

// The sending side.
class SharedBodyPool {
 public:
  // Free regions keep their pages (warm for the next message) up to
  // `max_idle_bytes` in all; a region freed beyond that gives its pages back
  // (it keeps its size and the peer's mapping).
  explicit SharedBodyPool(size_t max_idle_bytes)
      : max_idle_bytes_(max_idle_bytes) {}

  struct Lease {
    uint32_t id = 0;         // 1..kMaxSharedRegions.
    absl::Span<char> bytes;  // The whole region, to write the body into.
    // Valid when the peer does not have this region yet: send it with the
    // frame, which then also names the region's size.
    ScopedHandle handle_to_send;
  };

  // A free region of at least `size` bytes, now busy. RESOURCE_EXHAUSTED when
  // every region is busy.
  absl::StatusOr<Lease> Acquire(size_t size);
  // The peer has read region `id`: it is free again. Ids that are not busy
  // (a peer that lies) are ignored.
  void Release(uint32_t id);
  // Forgets region `id` (its handle never reached the peer, or the peer lost
  // it): the next lease of the slot makes a new region.
  void Drop(uint32_t id);
  // Whether every slot holds a region that waits for the peer (Acquire then
  // fails for that reason and no other).
  bool all_busy() const;

 private:
  struct Region {
    WritableSharedMemoryRegion memory;
    bool busy = false;
  };
  const size_t max_idle_bytes_;
  std::array<std::optional<Region>, kMaxSharedRegions> regions_;
};

// The receiving side: the peer's regions, mapped once each.
class SharedBodyMappings {
 public:
  // `copy_bodies`: false only for a trusted sender (see above).
  explicit SharedBodyMappings(bool copy_bodies) : copy_bodies_(copy_bodies) {}

  // The body of `size` bytes at the start of region `id`, copied out of
  // shared memory, or in place for a trusted sender (valid until the next
  // call). `handle`, when valid, (re)
  // defines the region, of `region_size` bytes. A region that was never
  // defined, a body larger than its region, or a region whose size is not
  // sealed is an error: the peer broke the protocol. A region that cannot be
  // mapped here (RESOURCE_EXHAUSTED: no address space) is left undefined.
  absl::StatusOr<absl::string_view> Body(uint32_t id, ScopedHandle handle,
                                         uint64_t region_size, uint64_t size);
  // Forgets region `id` (its handle was lost on the way): the peer defines it
  // anew before naming it again.
  void Forget(uint32_t id);

 private:
  std::array<std::optional<ReadOnlySharedMemoryMapping>, kMaxSharedRegions>
      regions_;
  const bool copy_bodies_;
  std::string copy_;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_SHARED_BODY_POOL_H_
