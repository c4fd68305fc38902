// Channel, receiving: reading frames from the pipe and dispatching each
// envelope to its handler, call server or pending call.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "ipc/channel.h"
#include "ipc/uv_status.h"

namespace bulkhead::ipc {
namespace {

// Read granularity: large enough for many small frames per read() syscall.
constexpr size_t kReadChunk = 64 * 1024;

// The full type name in an Any's type URL ("type.googleapis.com/pkg.Type" ->
// "pkg.Type").
absl::string_view TypeNameOf(const google::protobuf::Any& any) {
  absl::string_view url = any.type_url();
  const size_t slash = url.rfind('/');
  return slash == absl::string_view::npos ? url : url.substr(slash + 1);
}

}  // namespace

void Channel::OnAlloc(uv_handle_t* handle, size_t /*suggested*/,
                      uv_buf_t* buf) {
  auto* self = static_cast<Channel*>(handle->data);
  absl::Span<char> space = self->decoder_.PrepareWrite(kReadChunk);
  *buf = uv_buf_init(space.data(), static_cast<unsigned>(std::min<size_t>(
                                       space.size(), 1u << 30)));
}

void Channel::OnReadThunk(uv_stream_t* stream, ssize_t nread,
                          const uv_buf_t* /*buf*/) {
  auto* self = static_cast<Channel*>(stream->data);
  if (self != nullptr) self->OnRead(nread);
}

void Channel::OnRead(ssize_t nread) {
  if (nread == 0) return;  // EAGAIN: nothing to do.
  if (nread < 0) {
    CloseWith(
        ReasonForIoError(static_cast<int>(nread)),
        nread == UV_EOF ? absl::OkStatus() : UvErrorToStatus(nread, "read"));
    return;
  }
  decoder_.CommitWrite(static_cast<size_t>(nread));
  std::shared_ptr<bool> alive = alive_;
  while (state_ == State::kOpen) {
    absl::StatusOr<std::optional<absl::string_view>> frame = decoder_.Next();
    if (!frame.ok()) {
      CloseWith(CloseReason::kProtocolViolation, frame.status());
      return;
    }
    if (!frame->has_value()) {
      // A peer that does not take our replies gets no more of its requests
      // read until it does: the kernel's buffers then slow it down.
      if (queued_bytes() > options_.max_queued_bytes) {
        uv_read_stop(reinterpret_cast<uv_stream_t*>(pipe_));
        reading_paused_ = true;
      }
      return;
    }
    ++frames_received_;
    bytes_received_ += kFrameHeaderSize + (*frame)->size();
    absl::Status handled = HandleFrame(**frame);
    if (!*alive) return;  // A handler destroyed the channel.
    if (!handled.ok()) {
      CloseWith(CloseReason::kProtocolViolation, std::move(handled));
      return;
    }
  }
}

absl::Status Channel::HandleFrame(absl::string_view payload) {
  Envelope envelope;
  if (!envelope.ParseFromArray(payload.data(),
                               static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat(
        "frame of ", payload.size(), " bytes does not parse as an Envelope"));
  }
  if (envelope.is_reply()) return HandleReply(envelope);
  if (envelope.call_id() != 0) return HandleRequest(envelope);

  switch (envelope.body_case()) {
    case Envelope::kControl: {
      const Control& control = envelope.control();
      auto it = control_handlers_.find(static_cast<int>(control.kind_case()));
      if (it == control_handlers_.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected control message (kind ", control.kind_case(), ")"));
      }
      it->second(control);
      return absl::OkStatus();
    }
    case Envelope::kMessage: {
      const absl::string_view type = TypeNameOf(envelope.message());
      auto it = message_handlers_.find(type);
      if (it == message_handlers_.end()) {
        // Logged sparingly: a flooding peer must not flood the log too.
        if (messages_dropped_++ % 10000 == 0) {
          BH_LOG(kWarning, "dropped message of unhandled type ", type, " (",
                 messages_dropped_, " so far)");
        }
        return absl::OkStatus();
      }
      return it->second(envelope.message());
    }
    case Envelope::BODY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("envelope without a body");
}

absl::Status Channel::HandleReply(const Envelope& envelope) {
  absl::Status completion_status;
  std::shared_ptr<bool> alive = alive_;
  switch (calls_.CompleteWithReply(envelope, &completion_status)) {
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

absl::Status Channel::HandleRequest(const Envelope& envelope) {
  Envelope reply;
  reply.set_call_id(envelope.call_id());
  reply.set_is_reply(true);
  // Handlers may destroy the channel.
  std::shared_ptr<bool> alive = alive_;
  switch (envelope.body_case()) {
    case Envelope::kControl: {
      const Control& control = envelope.control();
      auto it = control_servers_.find(static_cast<int>(control.kind_case()));
      if (it == control_servers_.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected control call (kind ", control.kind_case(), ")"));
      }
      absl::StatusOr<Control> answer = it->second(control);
      if (!*alive) return absl::OkStatus();
      if (answer.ok()) {
        *reply.mutable_control() = *std::move(answer);
      } else {
        StatusToError(answer.status(), reply.mutable_error());
      }
      break;
    }
    case Envelope::kMessage: {
      const absl::string_view type = TypeNameOf(envelope.message());
      auto it = call_handlers_.find(type);
      if (it == call_handlers_.end()) {
        StatusToError(
            absl::UnimplementedError(absl::StrCat("no handler for ", type)),
            reply.mutable_error());
        break;
      }
      absl::Status handled = it->second(envelope.message(), &reply);
      if (!*alive) return absl::OkStatus();
      if (!handled.ok()) return handled;
      break;
    }
    case Envelope::BODY_NOT_SET:
      return absl::InvalidArgumentError("call without a body");
  }
  if (state_ != State::kOpen) return absl::OkStatus();
  absl::Status sent = SendEnvelope(reply);
  if (!sent.ok()) {
    // The answer is too large to frame: tell the caller instead of leaving it
    // to time out.
    Envelope failed;
    failed.set_call_id(envelope.call_id());
    failed.set_is_reply(true);
    StatusToError(sent, failed.mutable_error());
    return SendEnvelope(failed);
  }
  return absl::OkStatus();
}

}  // namespace bulkhead::ipc
