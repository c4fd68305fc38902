#include <windows.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "ipc/shared_memory.h"

namespace bulkhead::ipc {

absl::StatusOr<WritableSharedMemoryRegion> WritableSharedMemoryRegion::Create(
    size_t size) {
  if (size == 0) return absl::InvalidArgumentError("empty shared memory");
  const auto size64 = static_cast<uint64_t>(size);
  ScopedHandle section(CreateFileMappingW(
      INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE,
      static_cast<DWORD>(size64 >> 32), static_cast<DWORD>(size64), nullptr));
  // CreateFileMapping fails with null, not INVALID_HANDLE_VALUE.
  if (section.get() == nullptr) {
    const absl::Status error = LastWinErrorToStatus("CreateFileMapping");
    (void)section.release();
    return error;
  }
  void* data = MapViewOfFile(section.get(), FILE_MAP_WRITE, 0, 0, size);
  if (data == nullptr) return LastWinErrorToStatus("MapViewOfFile");
  return WritableSharedMemoryRegion(std::move(section),
                                    static_cast<char*>(data), size);
}

absl::StatusOr<ScopedHandle> WritableSharedMemoryRegion::Seal() {
  if (!handle_.is_valid())
    return absl::FailedPreconditionError("shared memory already sealed");
  Unmap();
  HANDLE read_only = nullptr;
  if (!DuplicateHandle(GetCurrentProcess(), handle_.get(), GetCurrentProcess(),
                       &read_only, FILE_MAP_READ, FALSE, 0)) {
    return LastWinErrorToStatus("DuplicateHandle");
  }
  handle_.reset();  // The last writable handle of this process.
  return ScopedHandle(read_only);
}

absl::StatusOr<ScopedHandle> WritableSharedMemoryRegion::ShareWritable() {
  if (!handle_.is_valid())
    return absl::FailedPreconditionError("shared memory already sealed");
  // A section's size is fixed at creation: a read-only handle is all it takes.
  HANDLE read_only = nullptr;
  if (!DuplicateHandle(GetCurrentProcess(), handle_.get(), GetCurrentProcess(),
                       &read_only, FILE_MAP_READ, FALSE, 0)) {
    return LastWinErrorToStatus("DuplicateHandle");
  }
  return ScopedHandle(read_only);
}

void WritableSharedMemoryRegion::Discard() {
  // Nothing: a section's pages stay committed while any view or handle
  // lives; an idle pool region keeps its memory on Windows.
}

void WritableSharedMemoryRegion::Unmap() {
  if (data_ != nullptr) UnmapViewOfFile(data_);
  data_ = nullptr;
}

absl::StatusOr<ReadOnlySharedMemoryMapping> ReadOnlySharedMemoryMapping::Map(
    ScopedHandle handle, size_t expected_size) {
  if (expected_size == 0)
    return absl::InvalidArgumentError("empty shared memory");
  // A view larger than the section is refused: that is the size check.
  void* data = MapViewOfFile(handle.get(), FILE_MAP_READ, 0, 0, expected_size);
  if (data == nullptr) {
    return absl::DataLossError(
        absl::StrCat("shared memory does not hold the ", expected_size,
                     " bytes the peer announced (",
                     LastWinErrorToStatus("MapViewOfFile").message(), ")"));
  }
  // Every page must be committed: a peer's section made with SEC_RESERVE
  // maps fine, but reading its uncommitted pages faults. (Pages of a mapped
  // view cannot be decommitted later.)
  for (size_t offset = 0; offset < expected_size;) {
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(static_cast<char*>(data) + offset, &info, sizeof(info)) ==
            0 ||
        info.State != MEM_COMMIT || info.RegionSize == 0) {
      UnmapViewOfFile(data);
      return absl::DataLossError(
          absl::StrCat("shared memory does not hold the ", expected_size,
                       " committed bytes the peer announced"));
    }
    const size_t region_start = static_cast<size_t>(
        static_cast<char*>(info.BaseAddress) - static_cast<char*>(data));
    offset = region_start + info.RegionSize;
  }
  // Another process may still hold a writable handle: not immutable.
  return ReadOnlySharedMemoryMapping(static_cast<const char*>(data),
                                     expected_size, /*immutable=*/false);
}

absl::StatusOr<ReadOnlySharedMemoryMapping>
ReadOnlySharedMemoryMapping::MapFixedSize(ScopedHandle handle,
                                          size_t expected_size) {
  // Sections never change size: Map's check is the whole check.
  return Map(std::move(handle), expected_size);
}

void ReadOnlySharedMemoryMapping::Unmap() {
  if (data_ != nullptr) UnmapViewOfFile(const_cast<char*>(data_));
  data_ = nullptr;
}

}  // namespace bulkhead::ipc
