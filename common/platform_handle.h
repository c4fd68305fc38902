// One handle type for every OS resource that crosses an API: a file descriptor
// on POSIX, a HANDLE on Windows. `ScopedHandle` is its single owner.
#ifndef BULKHEAD_COMMON_PLATFORM_HANDLE_H_
#define BULKHEAD_COMMON_PLATFORM_HANDLE_H_

#include <cstdint>
#include <utility>

#include "absl/status/statusor.h"
#include "bulkhead/export.h"

namespace bulkhead {

#if defined(_WIN32)
using NativeHandle = void*;  // HANDLE
// INVALID_HANDLE_VALUE; not constexpr, being a cast from an integer.
inline const NativeHandle kInvalidNativeHandle =
    reinterpret_cast<void*>(static_cast<intptr_t>(-1));
#else
using NativeHandle = int;  // file descriptor
inline constexpr NativeHandle kInvalidNativeHandle = -1;
#endif

// Move-only owner of a `NativeHandle`; closes it on destruction.
class BULKHEAD_EXPORT ScopedHandle {
 public:
  ScopedHandle() = default;
  explicit ScopedHandle(NativeHandle handle) : handle_(handle) {}
  ScopedHandle(ScopedHandle&& other) noexcept : handle_(other.release()) {}
  ScopedHandle& operator=(ScopedHandle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ScopedHandle(const ScopedHandle&) = delete;
  ScopedHandle& operator=(const ScopedHandle&) = delete;
  ~ScopedHandle() { reset(); }

  bool is_valid() const { return handle_ != kInvalidNativeHandle; }
  NativeHandle get() const { return handle_; }

  // Gives up ownership without closing.
  [[nodiscard]] NativeHandle release() {
    return std::exchange(handle_, kInvalidNativeHandle);
  }
  // Closes the owned handle (if any) and takes `handle`.
  void reset(NativeHandle handle = kInvalidNativeHandle);

 private:
  NativeHandle handle_ = kInvalidNativeHandle;
};

// Both ends of a bidirectional, stream-oriented local connection (socketpair on
// POSIX).
struct HandlePair {
  ScopedHandle first;
  ScopedHandle second;
};
BULKHEAD_EXPORT absl::StatusOr<HandlePair> CreateStreamPair();

// Takes ownership of handle number `number`, which this process inherited from
// its parent (the helper's end of the channel). Fails with InvalidArgument,
// without taking anything, when `number` is a standard stream or is not an open
// socket or pipe. Marks it close-on-exec.
BULKHEAD_EXPORT absl::StatusOr<ScopedHandle> AdoptInheritedStream(
    int64_t number);

// Windows: takes ownership of the inherited pipe HANDLE whose value is
// `value` (a sandboxed helper gets its channel this way, passed explicitly in
// the launch's handle list). InvalidArgument when it is not an open pipe.
// Elsewhere: Unimplemented.
BULKHEAD_EXPORT absl::StatusOr<ScopedHandle> AdoptInheritedHandle(
    uint64_t value);

// A new handle to what `handle` (not owned) refers to, close-on-exec (POSIX)
// or not inheritable (Windows), with the same access. InvalidArgument for an
// invalid handle; the OS's error otherwise (EBADF for one not open).
BULKHEAD_EXPORT absl::StatusOr<ScopedHandle> DuplicateNativeHandle(
    NativeHandle handle);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_PLATFORM_HANDLE_H_
