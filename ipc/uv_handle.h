// `UvHandle<T>`: the one owner of one libuv handle (STYLE: each uv_*_t has
// exactly one C++ owner; its destructor calls uv_close() and the memory is
// freed in the close callback).
//
//   class Heartbeat {
//     ...
//     ipc::UvHandle<uv_timer_t> timer_;
//   };
//   Heartbeat::Heartbeat(uv_loop_t* loop, ...) : timer_(loop) {
//     timer_->data = this;
//   }
//   uv_timer_start(timer_.get(), OnTick, period, period);
//   // ~Heartbeat writes nothing: ~UvHandle closes the timer.
//
//   // A handle whose initialisation can fail:
//   BH_ASSIGN_OR_RETURN(poll_, ipc::UvHandle<uv_poll_t>::Init(loop, fd));
//
// The contract:
//  - Memory: the handle lives on the heap, so that it can outlive its owner
//    until libuv's close callback. Moving an owner moves the pointer only:
//    `get()` keeps its address, and what libuv holds stays valid.
//  - Initialisation: types whose uv_*_init cannot fail (timer, prepare, check,
//    idle, pipe, TCP) are initialised by the constructor; the others (async,
//    poll, signal) by `Init`, which returns the error (UvErrorToStatus, naming
//    the uv_*_init). A handle whose init failed was never initialised: its
//    memory is freed at once, it is never closed. `uv_process_t` is made by
//    `Spawn`: a failed uv_spawn does leave its handle initialised, so that one
//    is closed (and freed by its close callback) before the error returns.
//  - Closing: the destructor, `Close()` (to close earlier than the owner
//    dies) and move-assignment clear the handle's `data`, call uv_close, and
//    free the memory in the close callback, when the loop next runs. The owner
//    is empty afterwards, as it is when default-constructed or moved from
//    (then all three do nothing). There is no user close callback: code that
//    must know when a close has finished runs the loop (the close callbacks of
//    handles closed before `uv_run(loop, UV_RUN_NOWAIT)` run in it). A closed
//    handle gets no callback but for a stream's pending writes, cancelled with
//    UV_ECANCELED: they find `data` null.
//  - Never uv_close a handle an owner holds (use `Close()`), and leave `data`
//    alone once the handle is closed.
//  - Loop teardown: `DrainAndCloseLoop` (uv_loop.h) closes every handle still
//    open, those owners hold included (an owner that outlives its loop). It
//    finishes those closes before it returns and marks the handles, so that
//    their owner, destroyed later (the loop may be gone by then), frees the
//    memory at once and touches nothing of the loop. An owner destroyed while
//    such a close is still pending (from a callback of DrainAndCloseLoop's own
//    run) leaves the freeing to that close's callback. Either way the memory
//    is freed exactly once. A loop closed any other way must have no handle
//    an owner still holds.
//  - Thread: an owner is used, closed and destroyed on its loop's thread, as
//    the handle is; `uv_async_send(get())` is the one call another thread may
//    make, while the owner holds the handle.
#ifndef BULKHEAD_IPC_UV_HANDLE_H_
#define BULKHEAD_IPC_UV_HANDLE_H_

#include <uv.h>

#include <cstddef>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bulkhead/export.h"
#include "ipc/uv_status.h"

namespace bulkhead::ipc {

// How `UvHandle<T>` initialises a T: uv_<kind>_init, with the loop, the handle
// and the extra arguments given to the constructor or `Init` (a pipe's `ipc`
// flag, an async's callback, a poll's fd), and whether that can fail.
template <typename T>
struct UvHandleTraits;

#define BH_UV_HANDLE_TRAITS_(kind, can_fail)                                  \
  template <>                                                                 \
  struct UvHandleTraits<uv_##kind##_t> {                                      \
    static constexpr bool kInitCanFail = can_fail;                            \
    static constexpr const char* kInitName = "uv_" #kind "_init";             \
    template <typename... Args>                                               \
    static int Init(uv_loop_t* loop, uv_##kind##_t* handle, Args&&... args) { \
      return uv_##kind##_init(loop, handle, std::forward<Args>(args)...);     \
    }                                                                         \
  }
BH_UV_HANDLE_TRAITS_(timer, false);
BH_UV_HANDLE_TRAITS_(prepare, false);
BH_UV_HANDLE_TRAITS_(check, false);
BH_UV_HANDLE_TRAITS_(idle, false);
BH_UV_HANDLE_TRAITS_(pipe, false);
BH_UV_HANDLE_TRAITS_(tcp, false);
// The loop's wakeup descriptor is made with its first async handle.
BH_UV_HANDLE_TRAITS_(async, true);
// A descriptor the loop watches already, or one that cannot be polled.
BH_UV_HANDLE_TRAITS_(poll, true);
// The loop's signal pipe is made with its first signal handle.
BH_UV_HANDLE_TRAITS_(signal, true);
#undef BH_UV_HANDLE_TRAITS_
// A process handle is made by `UvHandle::Spawn`, never by an init: no `Init`,
// and "can fail" keeps the init constructor away (clang checks its constraint
// for every UvHandle<uv_process_t>, so the traits must exist).
template <>
struct UvHandleTraits<uv_process_t> {
  static constexpr bool kInitCanFail = true;
  static constexpr const char* kInitName = "uv_spawn";
};

// The part of UvHandle that is the same for every T (uv_handle.cc).
namespace uv_handle_internal {
// Zeroed memory for a handle of `size` bytes, freed by the functions below.
BULKHEAD_EXPORT void* Allocate(size_t size);
// Frees a handle that was never initialised.
BULKHEAD_EXPORT void FreeUninitialised(void* handle);
// An owner lets go of `handle`: closes it and frees it in the close callback,
// or, when DrainAndCloseLoop has closed it already, frees it at once (or has
// its pending close callback do so).
BULKHEAD_EXPORT void CloseAndFree(uv_handle_t* handle);
// DrainAndCloseLoop's close of a handle still open: marks it closed when the
// close has finished, or frees it when its owner has gone meanwhile.
void CloseForLoopTeardown(uv_handle_t* handle);
// Aborts with a message: an init that cannot fail did.
[[noreturn]] BULKHEAD_EXPORT void InitFailed(const char* init, int error);
}  // namespace uv_handle_internal

template <typename T>
class UvHandle {
  using Traits = UvHandleTraits<T>;
  // libuv's handles are C structs: their memory is freed without a destructor.
  static_assert(std::is_trivially_destructible_v<T>);

 public:
  // Holds nothing.
  UvHandle() = default;

  // Allocates a T and initialises it on `loop` (`args`: the init's arguments
  // after the handle, e.g. none for a timer, `ipc` for a pipe). Only for the
  // types whose init cannot fail; aborts if it does all the same (a loop that
  // is not initialised: a bug of ours).
  template <typename... Args>
  requires(!Traits::kInitCanFail) explicit UvHandle(uv_loop_t* loop,
                                                    Args&&... args)
      : handle_(static_cast<T*>(uv_handle_internal::Allocate(sizeof(T)))) {
    const int rc = Traits::Init(loop, handle_, std::forward<Args>(args)...);
    if (rc != 0) uv_handle_internal::InitFailed(Traits::kInitName, rc);
  }

  // The same for any type: the handle, or the init's error (nothing is left
  // to close then).
  template <typename... Args>
  static absl::StatusOr<UvHandle> Init(uv_loop_t* loop, Args&&... args) {
    auto* handle = static_cast<T*>(uv_handle_internal::Allocate(sizeof(T)));
    const int rc = Traits::Init(loop, handle, std::forward<Args>(args)...);
    if (rc != 0) {
      uv_handle_internal::FreeUninitialised(handle);
      return UvErrorToStatus(rc, Traits::kInitName);
    }
    return UvHandle(handle);
  }

  // A process handle, by uv_spawn on `loop` with `options`: the running
  // child's handle, or uv_spawn's error ("uv_spawn <file>: ...") once the
  // handle it left initialised has been closed.
  static absl::StatusOr<UvHandle> Spawn(
      uv_loop_t* loop, const uv_process_options_t& options) requires
      std::is_same_v<T, uv_process_t> {
    auto* handle = static_cast<T*>(uv_handle_internal::Allocate(sizeof(T)));
    const int rc = uv_spawn(loop, handle, &options);
    if (rc != 0) {
      // Unix initialises the handle first thing; Windows refuses bad options
      // before it does. The memory comes zeroed: `loop` says which it was.
      if (handle->loop == nullptr) {
        uv_handle_internal::FreeUninitialised(handle);
      } else {
        uv_handle_internal::CloseAndFree(
            reinterpret_cast<uv_handle_t*>(handle));
      }
      return UvErrorToStatus(rc, absl::StrCat("uv_spawn ", options.file));
    }
    return UvHandle(handle);
  }

  ~UvHandle() { Close(); }
  UvHandle(UvHandle&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      Close();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;

  // Closes the handle now (see the contract above); the owner is empty
  // afterwards. Nothing when empty.
  void Close() {
    if (handle_ == nullptr) return;
    uv_handle_internal::CloseAndFree(handle());
    handle_ = nullptr;
  }

  // The handle (owned); null when empty.
  T* get() const { return handle_; }
  T* operator->() const { return handle_; }
  uv_handle_t* handle() const {
    return reinterpret_cast<uv_handle_t*>(handle_);
  }
  // For the stream types (pipe, TCP): the handle as a stream.
  uv_stream_t* stream() const requires std::is_same_v<T, uv_pipe_t> ||
      std::is_same_v<T, uv_tcp_t> {
    return reinterpret_cast<uv_stream_t*>(handle_);
  }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  // Takes an initialised handle.
  explicit UvHandle(T* handle) : handle_(handle) {}

  T* handle_ = nullptr;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_UV_HANDLE_H_
