#include "ipc/channel.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/platform_handle.h"
#include "ipc/channel_impl.h"
#include "ipc/handle_transport.h"
#include "ipc/shared_body_pool.h"
#include "ipc/sigpipe.h"
#include "ipc/uv_status.h"

namespace bulkhead::ipc {
namespace {

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
  absl::Status status(
      known ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown,
      error.message());
  return error.from_handler() ? MarkHandlerError(std::move(status)) : status;
}

void StatusToError(const absl::Status& status, Error* error) {
  error->set_code(static_cast<int>(status.code()));
  error->set_message(std::string(status.message()));
  if (IsHandlerError(status)) error->set_from_handler(true);
}

Channel::CloseReason Channel::ReasonForIoError(int error) {
  // A peer that went away shows up as EOF on read and as EPIPE/ECONNRESET on
  // write (at once from uv_write on Windows, in the callback on Unix).
  return error == UV_EOF || error == UV_EPIPE || error == UV_ECONNRESET
             ? CloseReason::kPeerClosed
             : CloseReason::kIoError;
}

std::unique_ptr<Channel> Channel::Create(uv_loop_t* loop, Options options) {
  IgnoreSigpipe();
  return std::unique_ptr<Channel>(new Channel(loop, options));
}

Channel::Channel(uv_loop_t* loop, Options options)
    : loop_(loop),
      options_(options),
      pipe_(loop, /*ipc=*/0),
      timer_(loop),
      flush_before_poll_(loop),
      flush_after_io_(loop),
      impl_(std::make_unique<Impl>(
          loop, options.max_frame_size,
          [this](int status) { OnAsyncWriteDone(status); })) {
  pipe_->data = this;
  timer_->data = this;
  flush_before_poll_->data = this;
  flush_after_io_->data = this;
  OnControl(Control::kSharedBodyTaken,
            [this](const Control& control) { OnSharedBodyTaken(control); });
  ServeControl(Control::kPing,
               [](const Control& request) -> absl::StatusOr<Control> {
                 Control pong;
                 pong.mutable_pong()->set_nonce(request.ping().nonce());
                 return pong;
               });
}

Channel::~Channel() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  *alive_ = false;
  // What was sent last is still handed to the stream, as when every Send
  // wrote at once.
  if (state_ == State::kOpen) impl_->writer.FlushBeforeClose(pipe_.stream());
  state_ = State::kClosed;
  ClosePipe();
  timer_.Close();
  flush_before_poll_.Close();
  flush_after_io_.Close();
  impl_->calls.FailAll(absl::CancelledError("channel destroyed"));
}

void Channel::DetachFromLoopThread() {
  loop_thread_.Detach();
  impl_->deferred.DetachFromLoopThread();
}

size_t Channel::queued_bytes() const { return impl_->writer.size(); }
uint64_t Channel::writes() const { return impl_->writer.writes(); }
size_t Channel::pending_calls() const { return impl_->calls.size(); }

void Channel::ClosePipe() {
  transport_.reset();  // The peer's next handles find nobody.
  // libuv may still call OnWriteDone (with UV_ECANCELED) after this; it must
  // not reach us (Close clears `data`).
  pipe_.Close();
}

absl::Status Channel::Open(ScopedHandle handle) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ != State::kIdle)
    return absl::FailedPreconditionError("channel already started");
  // On Windows the handle becomes a C runtime fd here; elsewhere this is the fd
  // itself.
  const uv_file file = uv_open_osfhandle(handle.get());
  if (file < 0) return absl::InvalidArgumentError("not a valid stream handle");
  // From here `file` owns the OS handle (on Windows the C runtime closes both
  // together).
  (void)handle.release();
  const int rc = uv_pipe_open(pipe_.get(), file);
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
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ != State::kIdle)
    return absl::FailedPreconditionError("channel already started");
  on_close_ = std::move(on_close);
  const int rc = uv_read_start(pipe_.stream(), OnAlloc, OnReadThunk);
  if (rc != 0) {
    state_ = State::kClosed;
    return UvErrorToStatus(rc, "uv_read_start");
  }
  state_ = State::kOpen;
  ArmDeadlineTimer();  // The deadlines of calls made before Start...
  ScheduleFlush();     // ...and what was sent before it.
  return absl::OkStatus();
}

void Channel::Close() {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  CloseWith(CloseReason::kClosedLocally, absl::OkStatus());
}

void Channel::CloseForViolation(absl::Status why) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  CloseWith(CloseReason::kProtocolViolation, std::move(why));
}

void Channel::CloseWith(CloseReason reason, absl::Status detail) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ == State::kClosed) return;
  // What was sent last is still handed to the stream, as when every Send
  // wrote at once.
  if (state_ == State::kOpen) impl_->writer.FlushBeforeClose(pipe_.stream());
  impl_->writer.DropQueued();
  state_ = State::kClosed;
  // Closing the OS handle lets the peer see end-of-stream at once.
  ClosePipe();
  uv_timer_stop(timer_.get());
  uv_prepare_stop(flush_before_poll_.get());
  uv_check_stop(flush_after_io_.get());
  flush_scheduled_ = false;
  if (reason == CloseReason::kProtocolViolation) {
    BH_LOG(kWarning, "channel protocol violation: ", detail.message());
  }
  if (frames_being_sent_ > 0) {
    // Met inside a Send or Call (its write failed): the calls' failures and
    // the close handler run on the next turn, not inside the caller's call.
    impl_->deferred.Post([this, reason, detail](absl::Status run) {
      if (run.ok()) ReportClose(reason, detail);
    });
    return;
  }
  ReportClose(reason, std::move(detail));
}

void Channel::ReportClose(CloseReason reason, absl::Status detail) {
  std::shared_ptr<bool> alive = alive_;
  impl_->calls.FailAll(absl::UnavailableError(
      detail.ok() ? "channel closed"
                  : absl::StrCat("channel closed: ", detail.message())));
  if (!*alive) return;
  if (on_close_) {
    CloseHandler handler = std::move(on_close_);
    handler(reason, detail);
  }
}
// ---- Calls
// ----------------------------------------------------------------------------------

void Channel::StartCall(OutgoingEnvelope request, absl::Time deadline,
                        PendingCalls::Completion completion, bool app_traffic) {
  if (absl::Status room = app_traffic ? CheckQueueRoom()
                          : state_ == State::kClosed
                              ? absl::UnavailableError("channel is closed")
                              : absl::OkStatus();
      !room.ok()) {
    // Never inside the caller's call (deferred_tasks.h).
    impl_->deferred.Post([completion = std::move(completion),
                          room = std::move(room)](absl::Status run) mutable {
      completion(run.ok() ? std::move(room) : std::move(run)).IgnoreError();
    });
    return;
  }
  const uint64_t id =
      impl_->calls.Add(MonotonicDeadline(deadline), std::move(completion));
  request.call_id = id;
  std::shared_ptr<bool> alive = alive_;
  absl::Status sent = SendFrame(request);
  // A failed write closes the channel, and its owner may destroy it then.
  if (!*alive) return;
  if (!sent.ok()) {
    // Fail just this call, on the next turn; it stays in the table until then
    // (a close meanwhile fails it with the others, and the destructor with
    // CANCELLED).
    impl_->deferred.Post([this, id, sent](absl::Status run) {
      if (run.ok()) impl_->calls.Fail(id, sent);
    });
    return;
  }
  ArmDeadlineTimer();
}

void Channel::StartAppCall(const google::protobuf::Message& request,
                           absl::Time deadline, CallCompletion completion) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  ++calls_started_;
  OutgoingEnvelope envelope;
  envelope.message = &request;
  StartCall(envelope, deadline, std::move(completion), /*app_traffic=*/true);
}

void Channel::CallMessage(
    const google::protobuf::Message& request, absl::Time deadline,
    absl::AnyInvocable<void(absl::StatusOr<google::protobuf::Any>)> done) {
  StartAppCall(
      request, deadline,
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
        if (!(*reply)->has_message()) {
          absl::Status bad = absl::DataLossError("reply carries no message");
          done(bad);
          return bad;
        }
        done((*reply)->message());
        return absl::OkStatus();
      });
}

void Channel::CallControl(
    const Control& control, absl::Time deadline,
    absl::AnyInvocable<void(absl::StatusOr<Control>)> done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  OutgoingEnvelope envelope;
  envelope.control = &control;
  StartCall(
      envelope, deadline,
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
  std::optional<MonotonicNanos> next = impl_->calls.NextDeadline();
  if (!next.has_value() || state_ != State::kOpen) {
    uv_timer_stop(timer_.get());
    return;
  }
  if (*next == UINT64_MAX) return;
  const uint64_t now = uv_hrtime();
  // libuv timers count whole milliseconds: round up so a call never expires
  // early.
  const uint64_t delay_ms =
      *next > now ? (*next - now + 999'999) / 1'000'000 : 0;
  uv_timer_start(timer_.get(), OnDeadlineTimer, delay_ms, 0);
}

void Channel::OnDeadlineTimer(uv_timer_t* timer) {
  auto* self = static_cast<Channel*>(timer->data);
  if (self == nullptr) return;
  std::shared_ptr<bool> alive = self->alive_;
  self->impl_->calls.ExpireUntil(uv_hrtime());
  if (*alive) self->ArmDeadlineTimer();
}

// ---- Handlers
// -------------------------------------------------------------------------------

void Channel::RegisterMessageHandler(absl::string_view type_name,
                                     MessageHandler handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  cached_handler_ = nullptr;
  message_handlers_.insert_or_assign(std::string(type_name),
                                     std::move(handler));
}

void Channel::RegisterCallHandler(absl::string_view type_name,
                                  CallHandler handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  call_handlers_.insert_or_assign(std::string(type_name), std::move(handler));
}

void Channel::OnControl(Control::KindCase kind,
                        absl::AnyInvocable<void(const Control&)> handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  control_handlers_.insert_or_assign(static_cast<int>(kind),
                                     std::move(handler));
}

void Channel::ServeControl(
    Control::KindCase kind,
    absl::AnyInvocable<absl::StatusOr<Control>(const Control&)> handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  control_servers_.insert_or_assign(static_cast<int>(kind), std::move(handler));
}

}  // namespace bulkhead::ipc
