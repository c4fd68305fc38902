#include "ipc/handle_transport.h"

namespace bulkhead::ipc {
namespace {

absl::Status NotYet() {
  return absl::UnimplementedError(
      "passing handles over a channel is not implemented on Windows yet");
}

}  // namespace

absl::StatusOr<HandlePair> HandleTransport::CreatePair() { return NotYet(); }

HandleTransport::HandleTransport(ScopedHandle socket)
    : socket_(std::move(socket)) {}

absl::Status HandleTransport::Send(absl::Span<const ScopedHandle>) {
  return NotYet();
}

absl::StatusOr<std::vector<ScopedHandle>> HandleTransport::Receive(size_t) {
  return NotYet();
}

}  // namespace bulkhead::ipc
