// Channel, sending: framing envelopes straight into the send queue, writing
// it in as few syscalls as possible (FrameWriter), and the queue's limit
// (backpressure).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ipc/channel.h"
#include "ipc/channel_impl.h"
#include "ipc/handle_transport.h"
#include "ipc/shared_body_pool.h"
#include "ipc/uv_status.h"

namespace bulkhead::ipc {
namespace {

// Past this many queued bytes a frame is written at once instead of at the
// end of the loop iteration: enough to batch many small frames, small enough
// to stay in cache and to start the kernel on a large payload early.
constexpr size_t kEagerFlushBytes = 64 * 1024;

}  // namespace

absl::Status Channel::Send(const google::protobuf::Message& message) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (absl::Status room = CheckQueueRoom(); !room.ok()) return room;
  OutgoingEnvelope envelope;
  envelope.message = &message;
  return SendFrame(envelope);
}

absl::Status Channel::SendControl(const Control& control) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  OutgoingEnvelope envelope;
  envelope.control = &control;
  return SendFrame(envelope);
}

absl::Status Channel::CheckQueueRoom() {
  if (state_ == State::kClosed)
    return absl::UnavailableError("channel is closed");
  if (shared_bytes_in_flight_ >= options_.max_shared_bytes_in_flight) {
    send_refused_ = true;
    return absl::ResourceExhaustedError(absl::StrCat(
        "shared memory full: ", shared_bytes_in_flight_,
        " bytes of large messages not yet taken by the peer (limit ",
        options_.max_shared_bytes_in_flight, "); wait for OnDrained"));
  }
  if (queued_bytes() < options_.max_queued_bytes) return absl::OkStatus();
  send_refused_ = true;
  return absl::ResourceExhaustedError(
      absl::StrCat("send queue full: ", queued_bytes(),
                   " bytes not yet taken by the peer "
                   "(limit ",
                   options_.max_queued_bytes, "); wait for OnDrained"));
}

void Channel::OnDrained(absl::AnyInvocable<void()> handler) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  on_drained_ = std::move(handler);
}

absl::Status Channel::SendFrame(OutgoingEnvelope envelope,
                                std::vector<ScopedHandle> handles) {
  if (state_ == State::kClosed)
    return absl::UnavailableError("channel is closed");
  // A write that fails in here closes the channel; its report waits for the
  // loop (CloseWith).
  struct Sending {
    int& depth;
    explicit Sending(int& d) : depth(d) { ++depth; }
    ~Sending() { --depth; }
  } sending(frames_being_sent_);
  if (owed_taken_region_ != 0) {
    if (absl::Status taken = SendOwedSharedBodyTaken(); !taken.ok()) {
      return taken;
    }
  }
  if (transport_ != nullptr && envelope.message != nullptr) {
    if (absl::Status moved = MoveBodyToSharedMemory(envelope, handles);
        !moved.ok()) {
      return moved;
    }
  }
  envelope.seq = next_seq_;
  envelope.attached_handles = static_cast<uint32_t>(handles.size());
  std::vector<uint64_t> handle_values;
  if (!handles.empty()) {
    // Only SendWithHandles and a shared body bring handles, both with a
    // transport.
    absl::StatusOr<std::vector<uint64_t>> prepared =
        transport_->Prepare(handles);
    if (!prepared.ok()) {
      UndoSharedBody(envelope);
      return prepared.status();
    }
    handle_values = *std::move(prepared);
    envelope.handle_values = handle_values;
  }
  std::string* queue = impl_->writer.queue();
  const size_t queued_before = queue->size();
  if (absl::Status s =
          AppendEnvelopeFrame(envelope, options_.max_frame_size, queue);
      !s.ok()) {
    if (!handles.empty()) transport_->Cancel(handle_values);
    UndoSharedBody(envelope);
    return s;
  }
  if (!handles.empty()) {
    // Before the frame can leave: the peer must find them when it reads it.
    if (absl::Status sent = transport_->Send(handles); !sent.ok()) {
      queue->resize(queued_before);
      transport_->Cancel(handle_values);
      UndoSharedBody(envelope);
      return sent;
    }
  }
  ++next_seq_;
  ++frames_sent_;
  bytes_sent_ += queue->size() - queued_before;
  if (!corked_ && !wrote_this_turn_ && !impl_->writer.write_in_flight()) {
    // The first frame of a loop turn leaves at once, as every frame once did:
    // a sender that then blocks its loop (or exits) has still said it. Those
    // that follow in the same turn wait for the flush point and leave
    // together.
    wrote_this_turn_ = true;
    FlushNow();
    ScheduleFlush();  // Where `wrote_this_turn_` is cleared.
  } else if (queue->size() >= kEagerFlushBytes) {
    FlushNow();
  } else {
    ScheduleFlush();
  }
  return absl::OkStatus();
}

absl::Status Channel::SendReply(uint64_t call_id, OutgoingEnvelope reply,
                                std::vector<ScopedHandle> handles) {
  reply.call_id = call_id;
  reply.is_reply = true;
  if (reply.error != nullptr) handles.clear();
  absl::Status sent = SendFrame(reply, std::move(handles));
  if (sent.ok()) return sent;
  // The answer is too large to frame: tell the caller instead of leaving it to
  // time out.
  OutgoingEnvelope failed;
  failed.call_id = call_id;
  failed.is_reply = true;
  failed.error = &sent;
  return SendFrame(failed);
}

void Channel::ScheduleFlush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  uv_prepare_start(flush_before_poll_.get(), [](uv_prepare_t* handle) {
    OnFlushPoint(reinterpret_cast<uv_handle_t*>(handle));
  });
  uv_check_start(flush_after_io_.get(), [](uv_check_t* handle) {
    OnFlushPoint(reinterpret_cast<uv_handle_t*>(handle));
  });
}

void Channel::OnFlushPoint(uv_handle_t* handle) {
  auto* self = static_cast<Channel*>(handle->data);
  if (self == nullptr) return;
  self->flush_scheduled_ = false;
  self->wrote_this_turn_ = false;
  uv_prepare_stop(self->flush_before_poll_.get());
  uv_check_stop(self->flush_after_io_.get());
  std::shared_ptr<bool> alive = self->alive_;
  self->FlushNow();
  if (*alive) self->OnQueueShrunk();
}

// At most one write is in flight; everything queued meanwhile leaves in the
// next single write, so a burst of sends costs few syscalls.
void Channel::FlushNow() {
  if (state_ != State::kOpen) return;
  const int rc = impl_->writer.Flush(pipe_.stream());
  if (rc != 0) CloseWith(ReasonForIoError(rc), UvErrorToStatus(rc, "write"));
}

void Channel::OnAsyncWriteDone(int status) {
  // After a close, libuv cancels the write: nothing left to do.
  if (state_ != State::kOpen) return;
  if (status != 0) {
    CloseWith(ReasonForIoError(status), UvErrorToStatus(status, "write"));
    return;
  }
  std::shared_ptr<bool> alive = alive_;
  FlushNow();
  if (*alive) OnQueueShrunk();
}

void Channel::OnQueueShrunk() {
  if (state_ != State::kOpen ||
      queued_bytes() > options_.max_queued_bytes / 2) {
    return;
  }
  if (reading_paused_) {
    reading_paused_ = false;
    const int rc = uv_read_start(pipe_.stream(), OnAlloc, OnReadThunk);
    if (rc != 0) {
      CloseWith(CloseReason::kIoError, UvErrorToStatus(rc, "uv_read_start"));
      return;
    }
  }
  if (send_refused_ &&
      shared_bytes_in_flight_ <= options_.max_shared_bytes_in_flight / 2) {
    send_refused_ = false;
    if (on_drained_) on_drained_();  // May destroy this channel: last.
  }
}

}  // namespace bulkhead::ipc
