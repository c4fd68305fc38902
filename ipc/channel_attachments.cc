// Channel, handles beside frames: an app's handles (SendWithHandles /
// TakeReceivedHandles) and large messages moved into sealed shared memory,
// passed through the channel's HandleTransport.
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "ipc/channel.h"
#include "ipc/channel_impl.h"
#include "ipc/handle_transport.h"
#include "ipc/shared_memory.h"

namespace bulkhead::ipc {

void Channel::SetHandleTransport(ScopedHandle socket) {
  transport_ = std::make_unique<HandleTransport>(std::move(socket));
}

absl::Status Channel::SendWithHandles(const google::protobuf::Message& message,
                                      std::vector<ScopedHandle> handles) {
  if (transport_ == nullptr) {
    return absl::UnimplementedError(
        "this channel has no handle transport (not launched by bulkhead, or "
        "on Windows)");
  }
  // One slot stays free for a shared body.
  if (handles.empty() ||
      handles.size() >= HandleTransport::kMaxHandlesPerFrame) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a message carries 1 to ", HandleTransport::kMaxHandlesPerFrame - 1,
        " handles, not ", handles.size()));
  }
  for (const ScopedHandle& handle : handles) {
    if (!handle.is_valid()) {
      return absl::InvalidArgumentError("cannot send an invalid handle");
    }
  }
  if (absl::Status room = CheckQueueRoom(); !room.ok()) return room;
  OutgoingEnvelope envelope;
  envelope.message = &message;
  return SendFrame(envelope, std::move(handles));
}

absl::Status Channel::MoveBodyToSharedMemory(
    OutgoingEnvelope& envelope, std::vector<ScopedHandle>& handles) {
  if (options_.shared_memory_threshold == 0) return absl::OkStatus();
  const size_t size = envelope.message->ByteSizeLong();
  envelope.message_size = static_cast<int64_t>(size);
  if (size <= options_.shared_memory_threshold) return absl::OkStatus();
  if (size > options_.max_shared_body_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("message of ", size, " bytes exceeds the limit of ",
                     options_.max_shared_body_size, " bytes"));
  }
  absl::StatusOr<WritableSharedMemoryRegion> region =
      WritableSharedMemoryRegion::Create(size);
  if (!region.ok()) return region.status();
  envelope.message->SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(region->bytes().data()));
  absl::StatusOr<ScopedHandle> sealed = region->Seal();
  if (!sealed.ok()) return sealed.status();
  handles.insert(handles.begin(), *std::move(sealed));
  envelope.shared_body_size = size;
  return absl::OkStatus();
}

absl::Status Channel::DispatchWithAttachments(EnvelopeView envelope,
                                              absl::string_view payload) {
  if (transport_ == nullptr) {
    return absl::InvalidArgumentError(
        "the peer announced handles, but this channel has no handle "
        "transport");
  }
  if (envelope.attached_handles > HandleTransport::kMaxHandlesPerFrame) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frame announces ", envelope.attached_handles, " handles (limit ",
        HandleTransport::kMaxHandlesPerFrame, ")"));
  }
  const bool shared_body = envelope.shared_body_size != 0;
  if (shared_body && (envelope.attached_handles == 0 ||
                      envelope.body != EnvelopeView::Body::kMessage ||
                      !envelope.value.empty())) {
    return absl::InvalidArgumentError(
        "frame announces a shared body but does not carry it as one");
  }
  if (shared_body &&
      envelope.shared_body_size > options_.max_shared_body_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shared body of ", envelope.shared_body_size,
        " bytes exceeds the limit of ", options_.max_shared_body_size));
  }
  absl::StatusOr<std::vector<ScopedHandle>> handles =
      transport_->Receive(envelope.attached_handles);
  if (!handles.ok()) return handles.status();
  std::optional<ReadOnlySharedMemoryMapping> mapping;
  std::string copy;
  if (shared_body) {
    absl::StatusOr<ReadOnlySharedMemoryMapping> mapped =
        ReadOnlySharedMemoryMapping::Map(std::move(handles->front()),
                                         envelope.shared_body_size);
    if (!mapped.ok()) {
      return absl::Status(
          mapped.status().code(),
          absl::StrCat("shared body: ", mapped.status().message()));
    }
    mapping = *std::move(mapped);
    handles->erase(handles->begin());
    absl::Span<const char> bytes = mapping->bytes();
    envelope.value = absl::string_view(bytes.data(), bytes.size());
    if (!mapping->immutable()) {
      // The sender could still change it: parse a private copy.
      copy.assign(bytes.data(), bytes.size());
      envelope.value = copy;
    }
  }
  received_handles_ = *std::move(handles);
  std::shared_ptr<bool> alive = alive_;
  absl::Status handled = DispatchEnvelope(envelope, payload);
  if (*alive) received_handles_.clear();  // Those nobody took.
  return handled;
}

}  // namespace bulkhead::ipc
