#include "ipc/uv_handle.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace bulkhead::ipc {
namespace {

// What a handle's `data` says once DrainAndCloseLoop has closed it: only the
// addresses matter. The owner may be alive (it frees the memory when it lets
// go) or gone (the close callback frees it).
char closed_by_teardown;
char owner_gone;

void Free(uv_handle_t* handle) { ::operator delete(handle); }

}  // namespace

namespace uv_handle_internal {

void* Allocate(size_t size) {
  void* memory = ::operator new(size);
  std::memset(memory, 0, size);
  return memory;
}

void FreeUninitialised(void* handle) { ::operator delete(handle); }

void CloseAndFree(uv_handle_t* handle) {
  if (!uv_is_closing(handle)) {
    handle->data = nullptr;
    uv_close(handle, Free);
    return;
  }
  // Only DrainAndCloseLoop closes a handle an owner holds.
  if (handle->data == &closed_by_teardown) {
    Free(handle);  // Its close has finished; the loop may be gone.
  } else {
    handle->data = &owner_gone;  // Its close callback frees it.
  }
}

void InitFailed(const char* init, int error) {
  std::fprintf(stderr, "bulkhead: %s failed: %s\n", init, uv_strerror(error));
  std::abort();
}

void CloseForLoopTeardown(uv_handle_t* handle) {
  uv_close(handle, [](uv_handle_t* closed) {
    if (closed->data == &owner_gone) {
      Free(closed);
    } else {
      closed->data = &closed_by_teardown;
    }
  });
}

}  // namespace uv_handle_internal
}  // namespace bulkhead::ipc
