#include "ipc/channel.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "ipc/sigpipe.h"
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

void FreeHandle(uv_handle_t* handle) {
  if (handle->type == UV_NAMED_PIPE) {
    delete reinterpret_cast<uv_pipe_t*>(handle);
  } else {
    delete reinterpret_cast<uv_timer_t*>(handle);
  }
}

// A peer that went away shows up as EOF on read and as EPIPE/ECONNRESET on
// write (at once from uv_write on Windows, in the callback on Unix).
Channel::CloseReason ReasonForIoError(int error) {
  return error == UV_EOF || error == UV_EPIPE || error == UV_ECONNRESET
             ? Channel::CloseReason::kPeerClosed
             : Channel::CloseReason::kIoError;
}

uint64_t MonotonicDeadline(absl::Time deadline) {
  const uint64_t now = uv_hrtime();
  const absl::Duration remaining = deadline - absl::Now();
  if (remaining <= absl::ZeroDuration()) return now;
  if (remaining == absl::InfiniteDuration()) return UINT64_MAX;
  const auto nanos = static_cast<uint64_t>(absl::ToInt64Nanoseconds(remaining));
  return nanos > UINT64_MAX - now ? UINT64_MAX : now + nanos;
}

}  // namespace

absl::Status ErrorToStatus(const Error& error) {
  const int code = error.code();
  const bool known =
      code > 0 && code <= static_cast<int>(absl::StatusCode::kUnauthenticated);
  return absl::Status(
      known ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown,
      error.message());
}

void StatusToError(const absl::Status& status, Error* error) {
  error->set_code(static_cast<int>(status.code()));
  error->set_message(std::string(status.message()));
}

struct Channel::WriteRequest {
  uv_write_t req;
  std::string data;
};

std::unique_ptr<Channel> Channel::Create(uv_loop_t* loop, Options options) {
  IgnoreSigpipe();
  return std::unique_ptr<Channel>(new Channel(loop, options));
}

Channel::Channel(uv_loop_t* loop, Options options)
    : loop_(loop),
      options_(options),
      pipe_(new uv_pipe_t),
      timer_(new uv_timer_t),
      decoder_(options.max_frame_size) {
  // Neither can fail for a valid loop.
  uv_pipe_init(loop_, pipe_, /*ipc=*/0);
  uv_timer_init(loop_, timer_);
  pipe_->data = this;
  timer_->data = this;
  ServeControl(Control::kPing,
               [](const Control& request) -> absl::StatusOr<Control> {
                 Control pong;
                 pong.mutable_pong()->set_nonce(request.ping().nonce());
                 return pong;
               });
}

Channel::~Channel() {
  *alive_ = false;
  state_ = State::kClosed;
  ClosePipe();
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), FreeHandle);
  calls_.FailAll(absl::CancelledError("channel destroyed"));
}

void Channel::ClosePipe() {
  if (pipe_ == nullptr) return;
  // libuv may still call OnWriteDone (with UV_ECANCELED) after this; it must
  // not reach us.
  pipe_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(pipe_), FreeHandle);
  pipe_ = nullptr;
}

absl::Status Channel::Open(ScopedHandle handle) {
  if (state_ != State::kIdle)
    return absl::FailedPreconditionError("channel already started");
  // On Windows the handle becomes a C runtime fd here; elsewhere this is the fd
  // itself.
  const uv_file file = uv_open_osfhandle(handle.get());
  if (file < 0) return absl::InvalidArgumentError("not a valid stream handle");
  // From here `file` owns the OS handle (on Windows the C runtime closes both
  // together).
  (void)handle.release();
  const int rc = uv_pipe_open(pipe_, file);
  if (rc != 0) {
    uv_fs_t close_request;
    uv_fs_close(loop_, &close_request, file, nullptr);
    uv_fs_req_cleanup(&close_request);
    return UvErrorToStatus(rc, "uv_pipe_open");
  }
  // The pipe owns the descriptor now and closes it in uv_close.
  return absl::OkStatus();
}

absl::Status Channel::Start(CloseHandler on_close) {
  if (state_ != State::kIdle)
    return absl::FailedPreconditionError("channel already started");
  on_close_ = std::move(on_close);
  const int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(pipe_), OnAlloc,
                               OnReadThunk);
  if (rc != 0) {
    state_ = State::kClosed;
    return UvErrorToStatus(rc, "uv_read_start");
  }
  state_ = State::kOpen;
  Flush();             // Anything sent before Start...
  ArmDeadlineTimer();  // ...and the deadlines of calls made before it.
  return absl::OkStatus();
}

void Channel::Close() {
  CloseWith(CloseReason::kClosedLocally, absl::OkStatus());
}

void Channel::CloseForViolation(absl::Status why) {
  CloseWith(CloseReason::kProtocolViolation, std::move(why));
}

void Channel::CloseWith(CloseReason reason, absl::Status detail) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  // Closing the OS handle lets the peer see end-of-stream at once.
  ClosePipe();
  uv_timer_stop(timer_);
  outgoing_.clear();
  if (reason == CloseReason::kProtocolViolation) {
    BH_LOG(kWarning, "channel protocol violation: ", detail.message());
  }
  std::shared_ptr<bool> alive = alive_;
  calls_.FailAll(absl::UnavailableError(
      detail.ok() ? "channel closed"
                  : absl::StrCat("channel closed: ", detail.message())));
  if (!*alive) return;
  if (on_close_) {
    CloseHandler handler = std::move(on_close_);
    handler(reason, detail);
  }
}

// ---- Sending
// --------------------------------------------------------------------------------

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

// ---- Calls
// ----------------------------------------------------------------------------------

void Channel::StartCall(Envelope envelope, absl::Time deadline,
                        PendingCalls::Completion completion, bool app_traffic) {
  if (absl::Status room = app_traffic ? CheckQueueRoom()
                          : state_ == State::kClosed
                              ? absl::UnavailableError("channel is closed")
                              : absl::OkStatus();
      !room.ok()) {
    completion(room).IgnoreError();
    return;
  }
  const uint64_t id =
      calls_.Add(MonotonicDeadline(deadline), std::move(completion));
  envelope.set_call_id(id);
  std::shared_ptr<bool> alive = alive_;
  absl::Status sent = SendEnvelope(envelope);
  // A failed write closes the channel, and its owner may destroy it then.
  if (!*alive) return;
  if (!sent.ok()) {
    // Fail just this call: complete it through the table as if the peer had
    // answered.
    Envelope failed;
    failed.set_call_id(id);
    StatusToError(sent, failed.mutable_error());
    absl::Status ignored;
    calls_.CompleteWithReply(failed, &ignored);
    return;
  }
  ArmDeadlineTimer();
}

void Channel::CallControl(
    const Control& control, absl::Time deadline,
    absl::AnyInvocable<void(absl::StatusOr<Control>)> done) {
  Envelope envelope;
  *envelope.mutable_control() = control;
  StartCall(
      std::move(envelope), deadline,
      [done = std::move(done)](
          absl::StatusOr<const Envelope*> reply) mutable -> absl::Status {
        if (!reply.ok()) {
          done(reply.status());
          return absl::OkStatus();
        }
        if ((*reply)->has_error()) {
          done(ErrorToStatus((*reply)->error()));
          return absl::OkStatus();
        }
        if (!(*reply)->has_control()) {
          absl::Status bad =
              absl::DataLossError("reply to a control call is not control");
          done(bad);
          return bad;
        }
        done((*reply)->control());
        return absl::OkStatus();
      },
      /*app_traffic=*/false);
}

void Channel::ArmDeadlineTimer() {
  std::optional<MonotonicNanos> next = calls_.NextDeadline();
  if (!next.has_value() || state_ != State::kOpen) {
    uv_timer_stop(timer_);
    return;
  }
  if (*next == UINT64_MAX) return;
  const uint64_t now = uv_hrtime();
  // libuv timers count whole milliseconds: round up so a call never expires
  // early.
  const uint64_t delay_ms =
      *next > now ? (*next - now + 999'999) / 1'000'000 : 0;
  uv_timer_start(timer_, OnDeadlineTimer, delay_ms, 0);
}

void Channel::OnDeadlineTimer(uv_timer_t* timer) {
  auto* self = static_cast<Channel*>(timer->data);
  if (self == nullptr) return;
  std::shared_ptr<bool> alive = self->alive_;
  self->calls_.ExpireUntil(uv_hrtime());
  if (*alive) self->ArmDeadlineTimer();
}

// ---- Handlers
// -------------------------------------------------------------------------------

void Channel::RegisterMessageHandler(absl::string_view type_name,
                                     MessageHandler handler) {
  message_handlers_.insert_or_assign(std::string(type_name),
                                     std::move(handler));
}

void Channel::RegisterCallHandler(absl::string_view type_name,
                                  CallHandler handler) {
  call_handlers_.insert_or_assign(std::string(type_name), std::move(handler));
}

void Channel::OnControl(Control::KindCase kind,
                        absl::AnyInvocable<void(const Control&)> handler) {
  control_handlers_.insert_or_assign(static_cast<int>(kind),
                                     std::move(handler));
}

void Channel::ServeControl(
    Control::KindCase kind,
    absl::AnyInvocable<absl::StatusOr<Control>(const Control&)> handler) {
  control_servers_.insert_or_assign(static_cast<int>(kind), std::move(handler));
}

// ---- Receiving
// ------------------------------------------------------------------------------

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
