// Channel, handles beside frames: an app's handles (SendWithHandles /
// TakeReceivedHandles) and large messages moved into sealed shared memory,
// passed through the channel's HandleTransport.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "ipc/channel.h"
#include "ipc/channel_impl.h"
#include "ipc/handle_transport.h"
#include "ipc/shared_body_pool.h"
#include "ipc/shared_memory.h"

namespace bulkhead::ipc {
namespace {

// Room for the envelope around a message that goes through the socket instead
// of shared memory (its type URL, ids and tags).
constexpr size_t kEnvelopeSlack = 4096;

}  // namespace

void Channel::SetHandleTransport(ScopedHandle end) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  transport_ = std::make_unique<HandleTransport>(std::move(end));
  shared_pool_ =
      std::make_unique<SharedBodyPool>(options_.max_idle_shared_bytes);
  shared_mappings_ = std::make_unique<SharedBodyMappings>(
      /*copy_bodies=*/!options_.trust_peer_shared_memory);
}

absl::Status Channel::SendWithHandles(const google::protobuf::Message& message,
                                      std::vector<ScopedHandle> handles) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (transport_ == nullptr) {
    return absl::UnimplementedError(
        "this channel has no handle transport (its peer was not launched by "
        "bulkhead)");
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

absl::Status Channel::AttachToReply(std::vector<ScopedHandle> handles) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (!serving_call_) {
    return absl::InvalidArgumentError(
        "AttachToReply outside a call's handler: there is no reply");
  }
  if (transport_ == nullptr) {
    return absl::UnimplementedError(
        "this channel has no handle transport (its peer was not launched by "
        "bulkhead)");
  }
  const size_t total = reply_handles_.size() + handles.size();
  if (handles.empty() || total >= HandleTransport::kMaxHandlesPerFrame) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a reply carries 1 to ", HandleTransport::kMaxHandlesPerFrame - 1,
        " handles, not ", total));
  }
  for (const ScopedHandle& handle : handles) {
    if (!handle.is_valid()) {
      return absl::InvalidArgumentError("cannot send an invalid handle");
    }
  }
  for (ScopedHandle& handle : handles) {
    reply_handles_.push_back(std::move(handle));
  }
  return absl::OkStatus();
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
  const bool fits_socket = size + kEnvelopeSlack <= options_.max_frame_size;
  if (socket_bodies_left_ > 0 && fits_socket) {
    --socket_bodies_left_;
    return absl::OkStatus();
  }
  absl::StatusOr<SharedBodyPool::Lease> lease = shared_pool_->Acquire(size);
  if (!lease.ok()) {
    if (shared_pool_->all_busy()) {
      // Every region waits for the peer: OnDrained fires when one comes back.
      send_refused_ = true;
      return lease.status();
    }
    // No region could be made (at the descriptor limit, out of memory): the
    // socket carries the message when it fits in a frame.
    if (fits_socket) return absl::OkStatus();
    return absl::Status(
        lease.status().code(),
        absl::StrCat("no shared-memory region for a message of ", size,
                     " bytes (", lease.status().message(),
                     "), and it is over the frame limit of ",
                     options_.max_frame_size, " bytes for the socket"));
  }
  envelope.message->SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(lease->bytes.data()));
  envelope.shared_body_size = size;
  envelope.shared_region_id = lease->id;
  if (lease->handle_to_send.is_valid()) {
    envelope.shared_region_size = lease->bytes.size();
    handles.insert(handles.begin(), std::move(lease->handle_to_send));
  }
  shared_bytes_in_flight_ += size;  // Until the peer's SharedBodyTaken.
  return absl::OkStatus();
}

void Channel::UndoSharedBody(const OutgoingEnvelope& envelope) {
  if (envelope.shared_region_id == 0) return;
  shared_bytes_in_flight_ -=
      std::min<uint64_t>(shared_bytes_in_flight_, envelope.shared_body_size);
  // A region whose handle did not reach the peer must be made anew.
  if (envelope.shared_region_size != 0) {
    shared_pool_->Drop(envelope.shared_region_id);
  } else {
    shared_pool_->Release(envelope.shared_region_id);
  }
}

absl::Status Channel::DispatchWithAttachments(EnvelopeView envelope,
                                              absl::string_view payload) {
  if (transport_ == nullptr) {
    return absl::InvalidArgumentError(
        "the peer announced handles or shared memory, but this channel has "
        "no handle transport");
  }
  if (envelope.attached_handles == 0 && !envelope.handle_values.empty()) {
    return absl::InvalidArgumentError(
        "frame carries handle values but announces no handles");
  }
  if (envelope.attached_handles > HandleTransport::kMaxHandlesPerFrame ||
      envelope.handle_values.size() >
          HandleTransport::kMaxHandlesPerFrame * sizeof(uint64_t)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frame announces ", envelope.attached_handles, " handles (limit ",
        HandleTransport::kMaxHandlesPerFrame, ")"));
  }
  const bool shared_body = envelope.shared_body_size != 0;
  const bool region_attached = envelope.shared_region_size != 0;
  if (shared_body && (envelope.body != EnvelopeView::Body::kMessage ||
                      !envelope.value.empty() ||
                      (region_attached && envelope.attached_handles == 0))) {
    return absl::InvalidArgumentError(
        "frame announces a shared body but does not carry it as one");
  }
  if (shared_body &&
      envelope.shared_body_size > options_.max_shared_body_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shared body of ", envelope.shared_body_size,
        " bytes exceeds the limit of ", options_.max_shared_body_size));
  }
  std::vector<ScopedHandle> handles;
  if (envelope.attached_handles > 0) {
    absl::StatusOr<std::vector<ScopedHandle>> received = transport_->Receive(
        envelope.attached_handles, HandleValuesOf(envelope));
    if (absl::IsResourceExhausted(received.status())) {
      return DispatchUndelivered(envelope, received.status());
    }
    if (!received.ok()) return received.status();
    handles = *std::move(received);
  }
  if (shared_body) {
    ScopedHandle region;
    if (region_attached) {
      region = std::move(handles.front());
      handles.erase(handles.begin());
    }
    absl::StatusOr<absl::string_view> body = shared_mappings_->Body(
        envelope.shared_region_id, std::move(region),
        envelope.shared_region_size, envelope.shared_body_size);
    if (absl::IsResourceExhausted(body.status())) {
      return DispatchUndelivered(envelope, body.status());
    }
    if (!body.ok()) {
      return absl::Status(
          body.status().code(),
          absl::StrCat("shared body: ", body.status().message()));
    }
    envelope.value = *body;
  }
  received_handles_ = std::move(handles);
  if (shared_body) {
    // Owed from here: the handler's first frame (a call's reply, say) sends it
    // first, so that the peer, when it sees the answer, also sees the region
    // free; a caller that calls again from the reply's completion is not
    // refused for memory the peer already took.
    owed_taken_region_ = envelope.shared_region_id;
    owed_taken_bytes_ = envelope.shared_body_size;
    owed_taken_lost_ = false;
  }
  std::shared_ptr<bool> alive = alive_;
  absl::Status handled = DispatchEnvelope(envelope, payload);
  if (!*alive) return handled;
  received_handles_.clear();  // Those nobody took.
  if (handled.ok() && state_ == State::kOpen) {
    handled = SendOwedSharedBodyTaken();
  }
  owed_taken_region_ = 0;
  return handled;
}

absl::Status Channel::SendOwedSharedBodyTaken() {
  if (owed_taken_region_ == 0) return absl::OkStatus();
  Control taken;
  taken.mutable_shared_body_taken()->set_bytes(owed_taken_bytes_);
  taken.mutable_shared_body_taken()->set_region_id(owed_taken_region_);
  taken.mutable_shared_body_taken()->set_region_lost(owed_taken_lost_);
  owed_taken_region_ = 0;  // Before SendControl, which comes back here.
  return SendControl(taken);
}

absl::Status Channel::DispatchUndelivered(const EnvelopeView& envelope,
                                          const absl::Status& why) {
  // Logged sparingly: a process at its limit may see many.
  if (messages_undelivered_++ % 1000 == 0) {
    BH_LOG(kWarning, "could not receive a message from the peer (",
           messages_undelivered_, " so far): ", why.message());
  }
  if (envelope.shared_body_size != 0) {
    // The region must come back to the sender either way; one whose handle
    // was lost is made anew.
    const bool region_lost = envelope.shared_region_size != 0;
    if (region_lost) shared_mappings_->Forget(envelope.shared_region_id);
    owed_taken_region_ = envelope.shared_region_id;
    owed_taken_bytes_ = envelope.shared_body_size;
    owed_taken_lost_ = region_lost;
  }
  const absl::Status failed = absl::ResourceExhaustedError(
      absl::StrCat("the message was not received: ", why.message()));
  std::shared_ptr<bool> alive = alive_;
  absl::Status result;
  if (envelope.is_reply) {
    Envelope reply;
    reply.set_call_id(envelope.call_id);
    StatusToError(failed, reply.mutable_error());
    absl::Status ignored;
    switch (impl_->calls.CompleteWithReply(reply, &ignored)) {
      case PendingCalls::ReplyMatch::kCompleted:
        if (*alive && state_ == State::kOpen) ArmDeadlineTimer();
        break;
      case PendingCalls::ReplyMatch::kLate:
        break;
      case PendingCalls::ReplyMatch::kUnknown:
        result = absl::InvalidArgumentError(absl::StrCat(
            "reply to call ", envelope.call_id, ", which was never made"));
        break;
    }
  } else if (envelope.call_id != 0) {
    OutgoingEnvelope reply;
    reply.error = &failed;
    result = SendReply(envelope.call_id, reply);
  }
  if (!*alive) return absl::OkStatus();
  if (result.ok() && state_ == State::kOpen) result = SendOwedSharedBodyTaken();
  owed_taken_region_ = 0;
  return result;
}

void Channel::OnSharedBodyTaken(const Control& control) {
  const SharedBodyTaken& taken = control.shared_body_taken();
  // A peer that claims more than was sent cannot push the count below zero.
  shared_bytes_in_flight_ -= std::min(shared_bytes_in_flight_, taken.bytes());
  if (shared_pool_ != nullptr) {
    if (taken.region_lost()) {
      // The peer could not take the region (short of descriptors, most
      // likely): it gets a new one, and the socket carries the next large
      // messages while it recovers.
      shared_pool_->Drop(taken.region_id());
      socket_bodies_left_ = kSocketBodiesAfterLostRegion;
    } else {
      shared_pool_->Release(taken.region_id());
    }
  }
  OnQueueShrunk();  // May destroy this channel: last.
}

}  // namespace bulkhead::ipc
