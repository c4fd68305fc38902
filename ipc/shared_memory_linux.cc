#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "ipc/shared_memory.h"

namespace bulkhead::ipc {
namespace {

// What makes a region's bytes final: no writes, no shrinking (which would
// fault a reader), no growing, and no way to undo it.
constexpr int kFinalSeals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
// What makes a region's size final while its bytes may still change.
constexpr int kSizeSeals = F_SEAL_SHRINK | F_SEAL_GROW;

}  // namespace

absl::StatusOr<WritableSharedMemoryRegion> WritableSharedMemoryRegion::Create(
    size_t size) {
  if (size == 0) return absl::InvalidArgumentError("empty shared memory");
  ScopedHandle fd(
      memfd_create("bulkhead-shared-memory", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.is_valid()) return LastPosixErrorToStatus("memfd_create");
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
    return LastPosixErrorToStatus(absl::StrCat("ftruncate to ", size));
  void* data =
      mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (data == MAP_FAILED) return LastPosixErrorToStatus("mmap");
  return WritableSharedMemoryRegion(std::move(fd), static_cast<char*>(data),
                                    size);
}

absl::StatusOr<ScopedHandle> WritableSharedMemoryRegion::Seal() {
  if (!handle_.is_valid())
    return absl::FailedPreconditionError("shared memory already sealed");
  // F_SEAL_WRITE is refused while a writable shared mapping exists.
  Unmap();
  if (fcntl(handle_.get(), F_ADD_SEALS, kFinalSeals | F_SEAL_SEAL) != 0)
    return LastPosixErrorToStatus("sealing shared memory");
  return std::move(handle_);
}

absl::StatusOr<ScopedHandle> WritableSharedMemoryRegion::ShareWritable() {
  if (!handle_.is_valid())
    return absl::FailedPreconditionError("shared memory already sealed");
  const int seals = fcntl(handle_.get(), F_GET_SEALS);
  if (seals < 0) return LastPosixErrorToStatus("F_GET_SEALS");
  if ((seals & kSizeSeals) != kSizeSeals &&
      fcntl(handle_.get(), F_ADD_SEALS, kSizeSeals) != 0) {
    return LastPosixErrorToStatus("sealing the size of shared memory");
  }
  const int copy = fcntl(handle_.get(), F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return LastPosixErrorToStatus("F_DUPFD_CLOEXEC");
  return ScopedHandle(copy);
}

void WritableSharedMemoryRegion::Discard() {
  if (handle_.is_valid()) {
    fallocate(handle_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
              static_cast<off_t>(size_));
  }
}

namespace {

// Maps `handle` read-only after checking its size and that `required_seals`
// are in place.
absl::Status MapChecked(const ScopedHandle& handle, size_t expected_size,
                        int required_seals, const char** data) {
  if (expected_size == 0)
    return absl::InvalidArgumentError("empty shared memory");
  struct stat info;
  if (fstat(handle.get(), &info) != 0)
    return LastPosixErrorToStatus("fstat of shared memory");
  if (!S_ISREG(info.st_mode) ||
      static_cast<uint64_t>(info.st_size) != expected_size) {
    return absl::DataLossError(absl::StrCat("shared memory of ", info.st_size,
                                            " bytes where the peer announced ",
                                            expected_size));
  }
  const int seals = fcntl(handle.get(), F_GET_SEALS);
  if (seals < 0 || (seals & required_seals) != required_seals) {
    return absl::FailedPreconditionError(
        (required_seals & F_SEAL_WRITE) != 0
            ? "shared memory is not sealed: its bytes could change while read"
            : "shared memory's size is not sealed: it could shrink while read");
  }
  void* mapped =
      mmap(nullptr, expected_size, PROT_READ, MAP_SHARED, handle.get(), 0);
  if (mapped == MAP_FAILED) return LastPosixErrorToStatus("mmap");
  *data = static_cast<const char*>(mapped);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReadOnlySharedMemoryMapping> ReadOnlySharedMemoryMapping::Map(
    ScopedHandle handle, size_t expected_size) {
  const char* data = nullptr;
  absl::Status mapped = MapChecked(handle, expected_size, kFinalSeals, &data);
  if (!mapped.ok()) return mapped;
  // The mapping keeps the memory; the descriptor closes with `handle`.
  return ReadOnlySharedMemoryMapping(data, expected_size, /*immutable=*/true);
}

absl::StatusOr<ReadOnlySharedMemoryMapping>
ReadOnlySharedMemoryMapping::MapFixedSize(ScopedHandle handle,
                                          size_t expected_size) {
  const char* data = nullptr;
  absl::Status mapped = MapChecked(handle, expected_size, kSizeSeals, &data);
  if (!mapped.ok()) return mapped;
  return ReadOnlySharedMemoryMapping(data, expected_size, /*immutable=*/false);
}

}  // namespace bulkhead::ipc
