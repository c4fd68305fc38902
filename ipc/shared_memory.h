// Shared memory for payloads too large to copy through the channel's socket:
// the sender fills a region, seals it and passes its handle; the receiver
// maps it read-only.
//
// Linux: a memfd, sealed against writes and resizing before it leaves, so a
// receiver that finds the seals knows the bytes cannot change while it reads
// them. Windows: a pagefile-backed section; sealing closes the sender's
// writable handle and keeps a read-only duplicate, but a receiver cannot prove
// that no writable handle is left, so there the contents must be copied before
// they are validated (`ReadOnlySharedMemoryMapping::immutable()` says which).
//
// The channel's pool of regions for large messages (shared_body_pool.h) is
// built on these; internal, not installed: apps get shared memory through
// the channel's automatic path. Thread: any; an object is used by one thread
// at a time.
#ifndef BULKHEAD_IPC_SHARED_MEMORY_H_
#define BULKHEAD_IPC_SHARED_MEMORY_H_

#include <cstddef>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/platform_handle.h"

namespace bulkhead::ipc {

// A region this process created and may write; move-only.
class WritableSharedMemoryRegion {
 public:
  // A zero-filled region of `size` bytes (not 0), mapped writable.
  // ResourceExhausted (or the OS error) when it cannot be had.
  static absl::StatusOr<WritableSharedMemoryRegion> Create(size_t size);

  WritableSharedMemoryRegion(WritableSharedMemoryRegion&& other) noexcept;
  WritableSharedMemoryRegion& operator=(
      WritableSharedMemoryRegion&& other) noexcept;
  ~WritableSharedMemoryRegion();

  // The writable mapping; empty once sealed (or moved from).
  absl::Span<char> bytes() { return {data_, data_ != nullptr ? size_ : 0}; }
  size_t size() const { return size_; }

  // Unmaps the region, makes its contents and size final, and returns the
  // handle to pass to the receiver (which maps it with
  // `ReadOnlySharedMemoryMapping::Map`). The region is spent afterwards.
  // FailedPrecondition if already sealed.
  absl::StatusOr<ScopedHandle> Seal();

  // For a region that is written again and again (a pool): makes its size
  // final (Linux seals against shrinking and growing) and returns a handle for
  // a peer to map with `ReadOnlySharedMemoryMapping::MapFixedSize`. The region
  // stays writable here, so the peer must copy the bytes before it validates
  // them. May be called again for another handle.
  absl::StatusOr<ScopedHandle> ShareWritable();

  // Gives the region's memory back to the OS, keeping its size and the
  // mappings (the next write faults fresh zeroed pages in). For an idle
  // region of a pool.
  void Discard();

 private:
  WritableSharedMemoryRegion(ScopedHandle handle, char* data, size_t size)
      : handle_(std::move(handle)), data_(data), size_(size) {}
  void Unmap();

  ScopedHandle handle_;
  char* data_ = nullptr;  // The writable mapping, or nullptr.
  size_t size_ = 0;
};

// A region received from a peer, mapped read-only; move-only.
class ReadOnlySharedMemoryMapping {
 public:
  // Maps `handle` (taking ownership) read-only, checking the peer's claim
  // that the region holds `expected_size` bytes (not 0): a size that lies is
  // DataLoss, never a fault while reading. Linux checks the size exactly, and
  // that the region is sealed against writes and resizing
  // (FailedPrecondition otherwise); Windows checks that the section holds at
  // least `expected_size` bytes, and maps just those.
  static absl::StatusOr<ReadOnlySharedMemoryMapping> Map(ScopedHandle handle,
                                                         size_t expected_size);
  // Maps a region from `ShareWritable` (taking ownership of `handle`), whose
  // size must be exactly `expected_size` and final (Linux: sealed against
  // shrinking and growing, so that reading can never fault); its bytes may
  // still change: `immutable()` is false.
  static absl::StatusOr<ReadOnlySharedMemoryMapping> MapFixedSize(
      ScopedHandle handle, size_t expected_size);

  ReadOnlySharedMemoryMapping(ReadOnlySharedMemoryMapping&& other) noexcept;
  ReadOnlySharedMemoryMapping& operator=(
      ReadOnlySharedMemoryMapping&& other) noexcept;
  ~ReadOnlySharedMemoryMapping();

  absl::Span<const char> bytes() const { return {data_, size_}; }
  // True when no process can change the bytes any more (a sealed memfd):
  // they may be validated in place. False: copy them first.
  bool immutable() const { return immutable_; }

 private:
  ReadOnlySharedMemoryMapping(const char* data, size_t size, bool immutable)
      : data_(data), size_(size), immutable_(immutable) {}
  void Unmap();

  const char* data_ = nullptr;
  size_t size_ = 0;
  bool immutable_ = false;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_SHARED_MEMORY_H_
