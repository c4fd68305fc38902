// macOS (and any POSIX system without memfd): a POSIX shared memory object,
// unlinked as soon as it is made, so that only descriptors reach it. Built on
// Linux too, into a test of its own (tests/ipc/CMakeLists.txt), so that this
// code runs somewhere on every CI run.
//
// There are no seals: a receiver can never prove the bytes are final, so
// every mapping says `immutable() == false` and the channel copies before it
// parses. The size is safe without seals on macOS, where an object's size is
// set once (a second ftruncate fails); elsewhere a sender that shrinks its
// object could fault a reader, which is why Linux uses memfd instead.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "ipc/shared_memory.h"

namespace bulkhead::ipc {
namespace {

// A name no other object uses (macOS allows 31 characters). The object is
// unlinked at once; the name only has to survive between two calls, and a
// clash (a stale name of an earlier process with this pid) takes the next.
std::string UniqueName() {
  static std::atomic<uint32_t> counter{0};
  return absl::StrCat("/bh.", ::getpid(), ".", counter.fetch_add(1));
}

// Opens a new object, retrying on the (unlikely) name clash.
absl::StatusOr<ScopedHandle> OpenUnlinkedObject() {
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::string name = UniqueName();
    ScopedHandle fd(::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600));
    if (!fd.is_valid() && errno == EEXIST) continue;
    if (!fd.is_valid()) return LastPosixErrorToStatus("shm_open");
    ::shm_unlink(name.c_str());
    const int flags = ::fcntl(fd.get(), F_GETFD);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFD, flags | FD_CLOEXEC) != 0) {
      return LastPosixErrorToStatus("fcntl(FD_CLOEXEC)");
    }
    return fd;
  }
  return absl::ResourceExhaustedError("shm_open: no free name");
}

// The size an object of `size` bytes reports: macOS rounds it up to a page.
bool SizeMatches(uint64_t reported, uint64_t expected) {
  const auto page = static_cast<uint64_t>(::getpagesize());
  return reported >= expected &&
         reported <= (expected + page - 1) / page * page;
}

}  // namespace

absl::StatusOr<WritableSharedMemoryRegion> WritableSharedMemoryRegion::Create(
    size_t size) {
  if (size == 0) return absl::InvalidArgumentError("empty shared memory");
  absl::StatusOr<ScopedHandle> fd = OpenUnlinkedObject();
  if (!fd.ok()) return fd.status();
  if (::ftruncate(fd->get(), static_cast<off_t>(size)) != 0)
    return LastPosixErrorToStatus(absl::StrCat("ftruncate to ", size));
  void* data =
      ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd->get(), 0);
  if (data == MAP_FAILED) return LastPosixErrorToStatus("mmap");
  return WritableSharedMemoryRegion(*std::move(fd), static_cast<char*>(data),
                                    size);
}

absl::StatusOr<ScopedHandle> WritableSharedMemoryRegion::Seal() {
  if (!handle_.is_valid())
    return absl::FailedPreconditionError("shared memory already sealed");
  // Nothing seals it: this process gives up its view and its descriptor.
  Unmap();
  return std::move(handle_);
}

absl::StatusOr<ScopedHandle> WritableSharedMemoryRegion::ShareWritable() {
  if (!handle_.is_valid())
    return absl::FailedPreconditionError("shared memory already sealed");
  const int copy = ::fcntl(handle_.get(), F_DUPFD, 0);
  if (copy < 0) return LastPosixErrorToStatus("F_DUPFD");
  ScopedHandle owned(copy);
  const int flags = ::fcntl(copy, F_GETFD);
  if (flags < 0 || ::fcntl(copy, F_SETFD, flags | FD_CLOEXEC) != 0) {
    return LastPosixErrorToStatus("fcntl(FD_CLOEXEC)");
  }
  return owned;
}

void WritableSharedMemoryRegion::Discard() {
  // Nothing: shared memory objects keep their pages while mapped; an idle
  // pool region keeps its memory here, as on Windows.
}

absl::StatusOr<ReadOnlySharedMemoryMapping> ReadOnlySharedMemoryMapping::Map(
    ScopedHandle handle, size_t expected_size) {
  if (expected_size == 0)
    return absl::InvalidArgumentError("empty shared memory");
  struct stat info;
  if (::fstat(handle.get(), &info) != 0)
    return LastPosixErrorToStatus("fstat of shared memory");
  if (!SizeMatches(static_cast<uint64_t>(info.st_size), expected_size)) {
    return absl::DataLossError(absl::StrCat("shared memory of ", info.st_size,
                                            " bytes where the peer announced ",
                                            expected_size));
  }
  void* mapped =
      ::mmap(nullptr, expected_size, PROT_READ, MAP_SHARED, handle.get(), 0);
  if (mapped == MAP_FAILED) return LastPosixErrorToStatus("mmap");
  // The sender may still write it: not immutable.
  return ReadOnlySharedMemoryMapping(static_cast<const char*>(mapped),
                                     expected_size, /*immutable=*/false);
}

absl::StatusOr<ReadOnlySharedMemoryMapping>
ReadOnlySharedMemoryMapping::MapFixedSize(ScopedHandle handle,
                                          size_t expected_size) {
  return Map(std::move(handle), expected_size);
}

}  // namespace bulkhead::ipc
