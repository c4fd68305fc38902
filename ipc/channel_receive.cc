// Channel, receiving: reading frames from the pipe and dispatching each
// envelope to its handler, call server or pending call. Frames are parsed in
// place in the decoder's buffer, and app messages and requests are read
// without building an Envelope (envelope_codec.h): a read of many small frames
// is one loop that allocates nothing.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "ipc/channel.h"
#include "ipc/channel_impl.h"
#include "ipc/uv_status.h"

namespace bulkhead::ipc {
namespace {

// Read granularity: large enough for many small frames per read() syscall.
constexpr size_t kReadChunk = 64 * 1024;

absl::Status NotAnEnvelope(absl::string_view payload) {
  return absl::DataLossError(absl::StrCat(
      "frame of ", payload.size(), " bytes does not parse as an Envelope"));
}

}  // namespace

void Channel::OnAlloc(uv_handle_t* handle, size_t /*suggested*/,
                      uv_buf_t* buf) {
  auto* self = static_cast<Channel*>(handle->data);
  absl::Span<char> space = self->impl_->decoder.PrepareWrite(kReadChunk);
  *buf = uv_buf_init(space.data(), static_cast<unsigned>(std::min<size_t>(
                                       space.size(), 1u << 30)));
}

void Channel::OnReadThunk(uv_stream_t* stream, ssize_t nread,
                          const uv_buf_t* /*buf*/) {
  auto* self = static_cast<Channel*>(stream->data);
  if (self != nullptr) self->OnRead(nread);
}

void Channel::OnRead(ssize_t nread) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (nread == 0) return;  // EAGAIN: nothing to do.
  if (nread < 0) {
    CloseWith(
        ReasonForIoError(static_cast<int>(nread)),
        nread == UV_EOF ? absl::OkStatus() : UvErrorToStatus(nread, "read"));
    return;
  }
  impl_->decoder.CommitWrite(static_cast<size_t>(nread));
  std::shared_ptr<bool> alive = alive_;
  corked_ = true;
  while (state_ == State::kOpen) {
    absl::StatusOr<std::optional<absl::string_view>> frame =
        impl_->decoder.Next();
    if (!frame.ok()) {
      corked_ = false;
      CloseWith(CloseReason::kProtocolViolation, frame.status());
      return;
    }
    if (!frame->has_value()) break;
    ++frames_received_;
    bytes_received_ += kFrameHeaderSize + (*frame)->size();
    absl::Status handled = HandleFrame(**frame);
    if (!*alive) return;  // A handler destroyed the channel.
    if (!handled.ok()) {
      corked_ = false;
      CloseWith(CloseReason::kProtocolViolation, std::move(handled));
      return;
    }
  }
  corked_ = false;
  // The answers to this read leave now, in one write, before the loop turns
  // to other handles.
  FlushNow();
  if (!*alive || state_ != State::kOpen) return;
  if (queued_bytes() > options_.max_queued_bytes) {
    // A peer that does not take our replies gets no more of its requests read
    // until it does: the kernel's buffers then slow it down.
    uv_read_stop(pipe_.stream());
    reading_paused_ = true;
    return;
  }
  OnQueueShrunk();  // May destroy this channel: last.
}

absl::Status Channel::HandleFrame(absl::string_view payload) {
  EnvelopeView envelope;
  if (ParseCanonicalEnvelope(payload, &envelope))
    return DispatchFrame(envelope, payload);
  // Outside the canonical layout: protobuf judges the frame, as it always did.
  Envelope parsed;
  if (!parsed.ParseFromArray(payload.data(),
                             static_cast<int>(payload.size()))) {
    return NotAnEnvelope(payload);
  }
  std::string scratch;
  return DispatchFrame(ViewOfEnvelope(parsed, &scratch), payload);
}

absl::Status Channel::DispatchFrame(const EnvelopeView& envelope,
                                    absl::string_view payload) {
  if (envelope.attached_handles != 0 || envelope.shared_body_size != 0 ||
      !envelope.handle_values.empty()) {
    return DispatchWithAttachments(envelope, payload);
  }
  return DispatchEnvelope(envelope, payload);
}

absl::Status Channel::DispatchEnvelope(const EnvelopeView& envelope,
                                       absl::string_view payload) {
  if (envelope.is_reply) return HandleReply(payload, envelope);
  // Nested messages are validated before anything is dispatched, as a full
  // parse of the frame would.
  if (envelope.has_error) {
    Error error;
    if (!error.ParseFromArray(envelope.error.data(),
                              static_cast<int>(envelope.error.size()))) {
      return NotAnEnvelope(payload);
    }
  }
  // The stream's common case first: a one-way app message.
  if (envelope.body == EnvelopeView::Body::kMessage && envelope.call_id == 0)
    return DispatchMessage(envelope);
  Control control;
  if (envelope.body == EnvelopeView::Body::kControl &&
      !control.ParseFromArray(envelope.control.data(),
                              static_cast<int>(envelope.control.size()))) {
    return NotAnEnvelope(payload);
  }
  if (envelope.call_id != 0) return HandleRequest(envelope, control);
  if (envelope.body == EnvelopeView::Body::kNone)
    return absl::InvalidArgumentError("envelope without a body");
  auto it = control_handlers_.find(static_cast<int>(control.kind_case()));
  if (it == control_handlers_.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unexpected control message (kind ", control.kind_case(), ")"));
  }
  it->second(control);
  return absl::OkStatus();
}

absl::Status Channel::DispatchMessage(const EnvelopeView& envelope) {
  // A stream is mostly one type: the last type URL's handler is remembered,
  // which spares finding the name and hashing it for every message.
  if (cached_handler_ == nullptr || envelope.type_url != cached_type_url_) {
    const absl::string_view type = TypeNameOfUrl(envelope.type_url);
    auto it = message_handlers_.find(type);
    if (it == message_handlers_.end()) {
      // Logged sparingly: a flooding peer must not flood the log too.
      if (messages_dropped_++ % 10000 == 0) {
        BH_LOG(kWarning, "dropped message of unhandled type ", type, " (",
               messages_dropped_, " so far)");
      }
      return absl::OkStatus();
    }
    if (!TypeUrlIs(envelope.type_url, it->first)) {
      return absl::DataLossError("message body does not parse as " + it->first);
    }
    cached_type_url_.assign(envelope.type_url.data(), envelope.type_url.size());
    cached_handler_ = &it->second;
  }
  return (*cached_handler_)(envelope.value);
}

absl::Status Channel::HandleReply(absl::string_view payload,
                                  const EnvelopeView& view) {
  // Replies complete calls, whose bookkeeping takes a whole Envelope.
  Envelope envelope;
  if (!envelope.ParseFromArray(payload.data(),
                               static_cast<int>(payload.size()))) {
    return NotAnEnvelope(payload);
  }
  if (view.shared_body_size != 0) {
    envelope.mutable_message()->set_value(view.value.data(), view.value.size());
  }
  absl::Status completion_status;
  std::shared_ptr<bool> alive = alive_;
  switch (impl_->calls.CompleteWithReply(envelope, &completion_status)) {
    case PendingCalls::ReplyMatch::kCompleted:
      if (!*alive) return absl::OkStatus();  // The completion destroyed us.
      if (state_ == State::kOpen) ArmDeadlineTimer();
      return completion_status;
    case PendingCalls::ReplyMatch::kLate:
      BH_LOG(kInfo, "dropped late reply to expired call ", envelope.call_id());
      return absl::OkStatus();
    case PendingCalls::ReplyMatch::kUnknown:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "reply to call ", envelope.call_id(), ", which was never made"));
}

absl::Status Channel::HandleRequest(const EnvelopeView& envelope,
                                    const Control& control) {
  const uint64_t call_id = envelope.call_id;
  // Handlers may destroy the channel.
  std::shared_ptr<bool> alive = alive_;
  switch (envelope.body) {
    case EnvelopeView::Body::kControl: {
      auto it = control_servers_.find(static_cast<int>(control.kind_case()));
      if (it == control_servers_.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected control call (kind ", control.kind_case(), ")"));
      }
      serving_call_ = true;
      serving_call_id_ = call_id;
      absl::StatusOr<Control> answer = it->second(control);
      if (!*alive) return absl::OkStatus();
      serving_call_ = false;
      std::vector<ScopedHandle> handles = std::exchange(reply_handles_, {});
      if (std::exchange(reply_later_, false)) return absl::OkStatus();
      if (state_ != State::kOpen) return absl::OkStatus();
      OutgoingEnvelope reply;
      if (answer.ok()) {
        reply.control = &*answer;
      } else {
        reply.error = &answer.status();
      }
      return SendReply(call_id, reply, std::move(handles));
    }
    case EnvelopeView::Body::kMessage: {
      const absl::string_view type = TypeNameOfUrl(envelope.type_url);
      auto it = call_handlers_.find(type);
      if (it == call_handlers_.end()) {
        if (state_ != State::kOpen) return absl::OkStatus();
        const absl::Status unimplemented =
            absl::UnimplementedError(absl::StrCat("no handler for ", type));
        OutgoingEnvelope reply;
        reply.error = &unimplemented;
        return SendReply(call_id, reply);
      }
      if (!TypeUrlIs(envelope.type_url, it->first)) {
        return absl::DataLossError("request body does not parse as " +
                                   it->first);
      }
      absl::Status sent;
      serving_call_ = true;
      serving_call_id_ = 0;  // ReplyLater is for control calls.
      absl::Status handled = it->second(
          envelope.value, [&](const google::protobuf::Message* response,
                              const absl::Status& status) {
            if (!*alive) return;
            serving_call_ = false;
            std::vector<ScopedHandle> handles =
                std::exchange(reply_handles_, {});
            if (state_ != State::kOpen) return;
            OutgoingEnvelope reply;
            if (response != nullptr) {
              reply.message = response;
            } else {
              reply.error = &status;
            }
            sent = SendReply(call_id, reply, std::move(handles));
          });
      if (!*alive) return absl::OkStatus();
      serving_call_ = false;
      reply_handles_.clear();
      if (!handled.ok()) return handled;
      return sent;
    }
    case EnvelopeView::Body::kNone:
      break;
  }
  return absl::InvalidArgumentError("call without a body");
}

uint64_t Channel::ReplyLater() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (!serving_call_ || serving_call_id_ == 0) return 0;
  reply_later_ = true;
  return serving_call_id_;
}

absl::Status Channel::SendLateReply(uint64_t call_id,
                                    const absl::StatusOr<Control>& answer) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ != State::kOpen)
    return absl::UnavailableError("channel is closed");
  OutgoingEnvelope reply;
  if (answer.ok()) {
    reply.control = &*answer;
  } else {
    reply.error = &answer.status();
  }
  return SendReply(call_id, reply);
}

}  // namespace bulkhead::ipc
