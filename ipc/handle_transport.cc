// The platform-independent part of HandleTransport; the rest is in
// handle_transport_posix.cc and handle_transport_win.cc.
#include "ipc/handle_transport.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace bulkhead::ipc {

HandleTransport::HandleTransport(ScopedHandle end) : end_(std::move(end)) {}

absl::Status HandleTransport::CheckBatchSize(size_t size) {
  if (size == 0 || size > kMaxHandlesPerFrame) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a frame carries 1 to ", kMaxHandlesPerFrame, " handles, not ", size));
  }
  return absl::OkStatus();
}

}  // namespace bulkhead::ipc
