// Channel, sending: framing envelopes into the send queue, one write in
// flight at a time, and the queue's limit (backpressure).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ipc/channel.h"
#include "ipc/uv_status.h"

namespace bulkhead::ipc {

struct Channel::WriteRequest {
  uv_write_t req;
  std::string data;
};

absl::Status Channel::Send(const google::protobuf::Message& message) {
  if (absl::Status room = CheckQueueRoom(); !room.ok()) return room;
  Envelope envelope;
  envelope.mutable_message()->PackFrom(message);
  return SendEnvelope(envelope);
}

absl::Status Channel::SendControl(const Control& control) {
  Envelope envelope;
  *envelope.mutable_control() = control;
  return SendEnvelope(envelope);
}

absl::Status Channel::CheckQueueRoom() {
  if (state_ == State::kClosed)
    return absl::UnavailableError("channel is closed");
  if (queued_bytes() < options_.max_queued_bytes) return absl::OkStatus();
  send_refused_ = true;
  return absl::ResourceExhaustedError(
      absl::StrCat("send queue full: ", queued_bytes(),
                   " bytes not yet taken by the peer "
                   "(limit ",
                   options_.max_queued_bytes, "); wait for OnDrained"));
}

void Channel::OnDrained(absl::AnyInvocable<void()> handler) {
  on_drained_ = std::move(handler);
}

absl::Status Channel::SendEnvelope(Envelope& envelope) {
  if (state_ == State::kClosed)
    return absl::UnavailableError("channel is closed");
  envelope.set_seq(next_seq_);
  const size_t queued_before = outgoing_.size();
  if (absl::Status s =
          AppendFrame(envelope, options_.max_frame_size, &outgoing_);
      !s.ok()) {
    return s;
  }
  ++next_seq_;
  ++frames_sent_;
  bytes_sent_ += outgoing_.size() - queued_before;
  Flush();
  return absl::OkStatus();
}

// At most one write is in flight; everything queued meanwhile leaves in the
// next single write, so a burst of sends costs few syscalls.
void Channel::Flush() {
  if (state_ != State::kOpen || in_flight_ != nullptr || outgoing_.empty())
    return;
  auto* request = new WriteRequest;
  request->data.swap(outgoing_);
  in_flight_bytes_ = request->data.size();
  uv_buf_t buf = uv_buf_init(request->data.data(),
                             static_cast<unsigned>(request->data.size()));
  in_flight_ = request;
  const int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(pipe_),
                          &buf, 1, OnWriteDone);
  if (rc != 0) {
    in_flight_ = nullptr;
    delete request;
    CloseWith(ReasonForIoError(rc), UvErrorToStatus(rc, "uv_write"));
  }
}

void Channel::OnWriteDone(uv_write_t* req, int status) {
  auto* request = reinterpret_cast<WriteRequest*>(req);
  auto* self = static_cast<Channel*>(req->handle->data);
  delete request;
  if (self == nullptr) return;  // The channel was destroyed.
  self->in_flight_ = nullptr;
  self->in_flight_bytes_ = 0;
  if (status != 0) {
    self->CloseWith(ReasonForIoError(status), UvErrorToStatus(status, "write"));
    return;
  }
  self->Flush();
  self->OnQueueShrunk();
}

void Channel::OnQueueShrunk() {
  if (state_ != State::kOpen ||
      queued_bytes() > options_.max_queued_bytes / 2) {
    return;
  }
  if (reading_paused_) {
    reading_paused_ = false;
    const int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(pipe_), OnAlloc,
                                 OnReadThunk);
    if (rc != 0) {
      CloseWith(CloseReason::kIoError, UvErrorToStatus(rc, "uv_read_start"));
      return;
    }
  }
  if (send_refused_) {
    send_refused_ = false;
    if (on_drained_) on_drained_();  // May destroy this channel: last.
  }
}

}  // namespace bulkhead::ipc
