// A protobuf message channel over one libuv pipe: one-way messages, calls with
// deadlines, and bulkhead's control messages, framed as in frame_codec.h.
//
// Thread: everything runs on the thread of the loop the channel was created on,
// including every handler and completion. Other threads reach a channel through
// the owner's `Post`. Debug builds abort when a member is called on another
// thread (common/loop_thread_checker.h).
//
// The peer is not trusted. A frame over the size limit, bytes that do not parse
// as an Envelope, a control message nobody handles, an application message that
// does not parse as its named type, or a reply to no call is a protocol
// violation: the channel fails its pending calls with UNAVAILABLE, closes, and
// tells its owner through the close handler (CloseReason:: kProtocolViolation),
// never by crashing.
#ifndef BULKHEAD_IPC_CHANNEL_H_
#define BULKHEAD_IPC_CHANNEL_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "common/loop_thread_checker.h"
#include "common/platform_handle.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/message.h"
#include "ipc/frame_limits.h"
#include "ipc/handler_error.h"
#include "ipc/proto/envelope.pb.h"
#include "ipc/reused_message.h"
#include "ipc/uv_handle.h"

namespace bulkhead::ipc {

// Declared only: internal types (ipc/handle_transport.h, shared_body_pool.h,
// ipc/envelope_codec.h) that apps never need, kept out of the installed
// headers.
class HandleTransport;
class SharedBodyMappings;
class SharedBodyPool;
struct EnvelopeView;
struct OutgoingEnvelope;

// The status a reply's `Error` stands for. Never OK: a peer that sends code 0
// or a code absl does not know gets UNKNOWN. Marked (`IsHandlerError`) when
// the peer says its handler returned it.
BULKHEAD_EXPORT absl::Status ErrorToStatus(const Error& error);
// The wire form of a non-OK `status`.
BULKHEAD_EXPORT void StatusToError(const absl::Status& status, Error* error);

class BULKHEAD_EXPORT Channel {
 public:
  // Messages up to this size are parsed into one reused object per handler;
  // larger ones into a fresh one, so that no handler keeps a big buffer.
  static constexpr size_t kMaxReusedMessageBytes = 64 * 1024;

  struct Options {
    // Largest frame accepted or sent, in bytes (header excluded).
    uint32_t max_frame_size = kDefaultMaxFrameSize;
    // Backpressure: bytes queued for a peer that is not reading. Past this,
    // Send and Call fail with RESOURCE_EXHAUSTED (until OnDrained), and the
    // channel stops reading the peer's requests, whose replies would only
    // queue up further. (A single frame up to `max_frame_size` is accepted
    // while the queue is under this.) A few times the kernel's socket buffer
    // keeps the pipe full; a sender allowed far more runs ahead of its reader
    // and only churns memory: with 64 MiB, a stream of small messages ran at a
    // quarter of the rate it reaches with 1 MiB (bench/ipc_bench).
    size_t max_queued_bytes = 1u << 20;
    // Messages whose bytes exceed this travel through a sealed shared-memory
    // region passed beside the frame, instead of through the socket (as
    // Chromium's BigBuffer does), when the channel has a handle transport;
    // invisible to the handlers. 0: never.
    size_t shared_memory_threshold = 64 * 1024;
    // Largest message accepted or sent through shared memory.
    size_t max_shared_body_size = size_t{1} << 30;
    // Backpressure for shared memory: bytes of shared bodies sent and not
    // yet read by the peer (it says so with SharedBodyTaken). Past this, Send
    // and Call fail with RESOURCE_EXHAUSTED until OnDrained, as for the queue.
    size_t max_shared_bytes_in_flight = 64u << 20;
    // Regions of a finished burst keep their pages up to this much, so that
    // the next burst does not fault fresh ones in (a fresh 1 MiB cost ~600 µs,
    // copying into a warm one ~40 µs, measured on 2026-11-27; no bench prints
    // it); beyond, they give them back.
    size_t max_idle_shared_bytes = 32u << 20;
    // True only where the peer is trusted not to write a shared body while it
    // is read: a helper's channel to its host (which could do anything to the
    // helper anyway). Shared bodies are then parsed in place instead of being
    // copied out first, one copy of three fewer. A host must never set it on
    // a channel to a helper: a helper may rewrite its region mid-parse.
    bool trust_peer_shared_memory = false;
  };

  enum class CloseReason {
    kPeerClosed,         // End of stream: the peer closed its end or exited.
    kProtocolViolation,  // The peer sent something it must not; see the status.
    kIoError,            // Reading or writing failed.
    kClosedLocally,      // `Close()` was called.
  };
  // Runs once when the channel closes for any reason; not run by the
  // destructor.
  using CloseHandler =
      absl::AnyInvocable<void(CloseReason reason, const absl::Status& detail)>;

  // Creates a channel on `loop` (not owned; must outlive the channel). It is
  // not connected yet: either pass `pipe()` to uv_spawn as a UV_CREATE_PIPE
  // stdio slot, or call `Open()`. Sets SIGPIPE to ignored process-wide (see
  // sigpipe.h).
  static std::unique_ptr<Channel> Create(uv_loop_t* loop, Options options);
  static std::unique_ptr<Channel> Create(uv_loop_t* loop) {
    return Create(loop, Options());
  }

  // Pending calls complete once with CANCELLED; the close handler does not run.
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // The libuv pipe, for uv_spawn to connect before `Start()`; nullptr once
  // closed. Owned by the channel.
  uv_pipe_t* pipe() { return pipe_.get(); }
  // Connects the channel to an open stream handle (e.g. the helper's inherited
  // fd), taking ownership of it.
  absl::Status Open(ScopedHandle handle);
  // Starts reading. Register handlers first: messages that arrive before are
  // dispatched to the handlers present at that moment.
  absl::Status Start(CloseHandler on_close);
  // Closes now: the OS handle is closed (the peer sees end-of-stream), pending
  // calls fail with UNAVAILABLE and the close handler runs with kClosedLocally.
  // Frames still queued are handed to the OS before the handle closes (one
  // last write, not waited for). Idempotent.
  void Close();
  // Closes with kProtocolViolation, for an owner that finds the peer
  // misbehaving at a level the channel cannot see (e.g. a Hello that lies about
  // the role).
  void CloseForViolation(absl::Status why);
  bool is_open() const { return state_ == State::kOpen; }

  // Gives the channel its handle transport (ipc/handle_transport.h). POSIX:
  // one end of HandleTransport::CreatePair(), the peer holding the other.
  // Windows: on the host, the helper's process handle (PROCESS_DUP_HANDLE);
  // in the helper, an invalid handle (the host duplicates for it). Without a
  // transport large messages go through the socket and SendWithHandles is
  // Unimplemented.
  void SetHandleTransport(ScopedHandle end);
  bool can_pass_handles() const { return transport_ != nullptr; }

  // --- Application messages
  // ---------------------------------------------------------------

  // Sends a one-way message. UNAVAILABLE when closed, INVALID_ARGUMENT when
  // over the frame limit, RESOURCE_EXHAUSTED when the send queue is full.
  // The first frame of a loop iteration is written at once; those that follow
  // leave together at the end of the iteration (or at once when 64 KiB are
  // queued). Frames sent while handling a read leave together after it.
  absl::Status Send(const google::protobuf::Message& message);

  // Sends `message` with OS handles (an open file, socket, pipe, shared
  // memory...; at most 63), whose ownership passes to the channel: they are
  // closed here once sent, and the peer gets its own. The peer's handler takes
  // them with TakeReceivedHandles(). Unimplemented without a handle
  // transport; otherwise as Send.
  absl::Status SendWithHandles(const google::protobuf::Message& message,
                               std::vector<ScopedHandle> handles);
  // Inside a handler (On, Serve, a Call's `done`) of a message that came with
  // handles: takes them, in the order they were sent. Empty elsewhere. Those
  // no handler takes are closed when it returns.
  std::vector<ScopedHandle> TakeReceivedHandles() {
    return std::exchange(received_handles_, {});
  }
  // Inside a call's handler (Serve, ServeControl): `handles` (1 to 62, owned
  // by the channel from here) travel with that call's reply, as
  // SendWithHandles' do, and the caller takes them in its `done` with
  // TakeReceivedHandles(). Dropped (closed) when the handler answers with an
  // error or the reply cannot be sent; then the caller gets the error.
  // InvalidArgument (and nothing is kept) outside a handler, without a handle
  // transport, or for an invalid handle or batch size.
  absl::Status AttachToReply(std::vector<ScopedHandle> handles);
  // Inside a ServeControl handler: the answer comes later, through
  // SendLateReply with the id returned here; what the handler returns is
  // then ignored. For a control call whose answer needs other round trips
  // first (the escape fault's file-broker attempts). 0 (and the handler's
  // answer stands) outside a ServeControl handler.
  uint64_t ReplyLater();
  // The answer to the control call ReplyLater deferred. UNAVAILABLE when the
  // channel is closed; the caller's own deadline may have passed (it then
  // drops the reply as late).
  absl::Status SendLateReply(uint64_t call_id,
                             const absl::StatusOr<Control>& answer);

  // Handles one-way messages of type `T`, replacing an earlier handler for `T`.
  // Messages of a type without a handler are dropped and logged.
  template <typename T>
  void On(absl::AnyInvocable<void(const T&)> handler);

  // Calls the peer's `Serve<Req, Resp>` handler. `done` runs exactly once: with
  // the response, with the handler's error (marked: `IsHandlerError` tells it
  // from the channel's own errors, ipc/handler_error.h), DEADLINE_EXCEEDED when
  // `deadline` passes first, UNAVAILABLE when the channel closes first, or
  // CANCELLED when the channel is destroyed first. Never inside this call, even
  // when it fails at once (the channel closed, the queue full, a write that
  // fails): such a failure completes on a later turn of the loop
  // (ipc/deferred_tasks.h), so that `done` may start the next call without
  // recursing. The same holds for `CallControl`, and for the close handler when
  // a Send or Call meets the close.
  template <typename Req, typename Resp>
  void Call(const Req& request, absl::Time deadline,
            absl::AnyInvocable<void(absl::StatusOr<Resp>)> done);

  // A call whose request type is known only at run time (a message built by
  // type name, e.g. a repro's replay: host/replay.h): as Call, with the reply
  // unparsed, its full type name in the `Any`'s URL and its bytes.
  void CallMessage(
      const google::protobuf::Message& request, absl::Time deadline,
      absl::AnyInvocable<void(absl::StatusOr<google::protobuf::Any>)> done);

  // Answers calls with a request of type `Req`. An error status from `handler`
  // is sent back to the caller (code and message, marked as the handler's).
  // Calls of a type without a handler get UNIMPLEMENTED.
  template <typename Req, typename Resp>
  void Serve(absl::AnyInvocable<absl::StatusOr<Resp>(const Req&)> handler);

  // --- Control messages (bulkhead's own protocol)
  // -----------------------------------------

  absl::Status SendControl(const Control& control);
  void CallControl(const Control& control, absl::Time deadline,
                   absl::AnyInvocable<void(absl::StatusOr<Control>)> done);
  // Handles one-way control messages of `kind`.
  void OnControl(Control::KindCase kind,
                 absl::AnyInvocable<void(const Control&)> handler);
  // Answers control calls of `kind`. Ping is served by every channel (answered
  // with Pong).
  void ServeControl(
      Control::KindCase kind,
      absl::AnyInvocable<absl::StatusOr<Control>(const Control&)> handler);

  // Large messages degrade rather than fail where they can: when this side
  // cannot make a shared-memory region (at its descriptor limit, say) or the
  // peer could not receive one, a message that fits in a frame goes through
  // the socket (after a region the peer lost, the next
  // kSocketBodiesAfterLostRegion do, before a region is tried again).
  static constexpr uint32_t kSocketBodiesAfterLostRegion = 16;

  // Runs each time the send queue, after a Send or Call was refused for being
  // full, has drained to half its limit. Replaces an earlier handler.
  void OnDrained(absl::AnyInvocable<void()> handler);
  // Bytes waiting to be written (queued and in flight).
  size_t queued_bytes() const;
  // Bytes of shared bodies the peer has not taken yet.
  uint64_t shared_bytes_in_flight() const { return shared_bytes_in_flight_; }

  // Counters, for status tables and tests.
  uint64_t frames_sent() const { return frames_sent_; }
  uint64_t frames_received() const { return frames_received_; }
  // Bytes of whole frames, headers included.
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }
  // Writes it took to send them (frames_sent / writes is the batching).
  uint64_t writes() const;
  size_t pending_calls() const;
  // The app's calls made (`Call`, the refused ones included); control calls
  // are not counted.
  uint64_t calls_started() const { return calls_started_; }
  uint64_t messages_dropped() const { return messages_dropped_; }
  // Messages the peer sent that could not be received here: their handles or
  // their shared-memory region could not be had (this process was at its
  // descriptor limit, or out of address space). Not the peer's fault: a call
  // among them is answered RESOURCE_EXHAUSTED (a reply completes its call so),
  // a one-way message is dropped, and the channel stays open.
  uint64_t messages_undelivered() const { return messages_undelivered_; }

  // For an owner that hands the channel's loop to another thread while
  // nothing runs it (Host::StartThread): the debug check of the channel's
  // thread binds anew, to the next thread that uses it.
  void DetachFromLoopThread();

 private:
  enum class State { kIdle, kOpen, kClosed };
  // Handles a message body (the serialized message, read in place from the
  // frame); a non-OK return is a protocol violation.
  using MessageHandler = absl::AnyInvocable<absl::Status(absl::string_view)>;
  // Sends a call's answer: the response, or (when `response` is null) the
  // error `status`.
  using ReplySink = absl::FunctionRef<void(
      const google::protobuf::Message* response, const absl::Status& status)>;
  // Answers a call whose request body is the argument, through `ReplySink`
  // exactly once unless it returns an error: a protocol violation.
  using CallHandler =
      absl::AnyInvocable<absl::Status(absl::string_view, ReplySink)>;
  // Gets a call's reply envelope or the error that ended it
  // (PendingCalls::Completion, spelled out to keep pending_calls.h out).
  using CallCompletion =
      absl::AnyInvocable<absl::Status(absl::StatusOr<const Envelope*>)>;
  // The state whose types are internal (channel_impl.h).
  struct Impl;

  Channel(uv_loop_t* loop, Options options);

  void RegisterMessageHandler(absl::string_view type_name,
                              MessageHandler handler);
  void RegisterCallHandler(absl::string_view type_name, CallHandler handler);
  // Sends `request` as a call; `completion` gets the reply.
  // `app_traffic`: an app's Call, refused when the send queue is full.
  void StartCall(OutgoingEnvelope request, absl::Time deadline,
                 CallCompletion completion, bool app_traffic);
  // StartCall for an app's Call: the envelope is built out of line, where its
  // type is known.
  void StartAppCall(const google::protobuf::Message& request,
                    absl::Time deadline, CallCompletion completion);
  // Frames `envelope` (with the next sequence number) into the send queue,
  // with `handles` beside it, after a large message's shared-memory region.
  absl::Status SendFrame(OutgoingEnvelope envelope,
                         std::vector<ScopedHandle> handles = {});
  // Moves `envelope`'s message into a shared region when it is too large for
  // the socket; a region new to the peer goes first in `handles`
  // (channel_attachments.cc).
  absl::Status MoveBodyToSharedMemory(OutgoingEnvelope& envelope,
                                      std::vector<ScopedHandle>& handles);
  // Gives back the region of a frame that was not sent after all.
  void UndoSharedBody(const OutgoingEnvelope& envelope);
  // Sends the answer to call `call_id`; one too large to frame becomes an
  // error answer.
  absl::Status SendReply(uint64_t call_id, OutgoingEnvelope reply,
                         std::vector<ScopedHandle> handles = {});
  // RESOURCE_EXHAUSTED when the send queue is over its limit (app traffic
  // only: replies and control messages are never refused).
  absl::Status CheckQueueRoom();
  void OnQueueShrunk();
  // Writes the send queue at the end of this loop iteration (the frames sent
  // until then leave in one write).
  void ScheduleFlush();
  // Writes the send queue now; a write error closes the channel.
  void FlushNow();
  void OnAsyncWriteDone(int status);
  void ArmDeadlineTimer();

  void OnRead(ssize_t nread);
  absl::Status HandleFrame(absl::string_view payload);
  // Either dispatch below, by whether the frame came with attachments.
  absl::Status DispatchFrame(const EnvelopeView& envelope,
                             absl::string_view payload);
  // A frame that came with handles: takes them from the transport, maps a
  // shared body in place of the frame's, and dispatches.
  absl::Status DispatchWithAttachments(EnvelopeView envelope,
                                       absl::string_view payload);
  void OnSharedBodyTaken(const Control& control);
  // A frame whose handles or shared body could not be had here (`why`,
  // RESOURCE_EXHAUSTED): answered as failed instead of dispatched.
  absl::Status DispatchUndelivered(const EnvelopeView& envelope,
                                   const absl::Status& why);
  // Sends the SharedBodyTaken owed for the frame being dispatched, if any.
  // SendFrame calls it first, so that no answer to a frame with a shared body
  // reaches the peer before the peer knows the body's region is free again.
  absl::Status SendOwedSharedBodyTaken();
  // `envelope` was read from `payload` (or from its full parse).
  absl::Status DispatchEnvelope(const EnvelopeView& envelope,
                                absl::string_view payload);
  absl::Status DispatchMessage(const EnvelopeView& envelope);
  absl::Status HandleReply(absl::string_view payload, const EnvelopeView& view);
  absl::Status HandleRequest(const EnvelopeView& envelope,
                             const Control& control);
  void CloseWith(CloseReason reason, absl::Status detail);
  // The second half of a close: fails the pending calls, runs the close
  // handler.
  void ReportClose(CloseReason reason, absl::Status detail);
  void ClosePipe();
  // kPeerClosed for the errors that mean the peer went away, else kIoError.
  static CloseReason ReasonForIoError(int error);

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnReadThunk(uv_stream_t* stream, ssize_t nread,
                          const uv_buf_t* buf);
  static void OnWriteDone(uv_write_t* req, int status);
  static void OnDeadlineTimer(uv_timer_t* timer);
  static void OnFlushPoint(uv_handle_t* handle);

  uv_loop_t* const loop_;  // Not owned.
  const Options options_;
  UvHandle<uv_pipe_t> pipe_;  // Empty once closed.
  UvHandle<uv_timer_t> timer_;
  // Run before the loop polls and after it handled I/O: the points where a
  // scheduled flush happens, so that everything sent in one iteration leaves
  // in one write before the loop can block.
  UvHandle<uv_prepare_t> flush_before_poll_;
  UvHandle<uv_check_t> flush_after_io_;
  bool flush_scheduled_ = false;
  // A frame was written at once this loop turn: later ones wait for the flush
  // point.
  bool wrote_this_turn_ = false;
  // While a read's frames are dispatched: their answers leave together at the
  // end of the read.
  bool corked_ = false;
  // Inside SendFrame (a Send or a Call): a close met there is reported on the
  // next turn.
  int frames_being_sent_ = 0;
  State state_ = State::kIdle;
  CloseHandler on_close_;

  // The frame decoder, the pending calls and the send queue.
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<HandleTransport> transport_;  // Null: none.
  // With the transport: regions for large messages sent, and the peer's.
  std::unique_ptr<SharedBodyPool> shared_pool_;
  std::unique_ptr<SharedBodyMappings> shared_mappings_;
  // The handles of the frame being dispatched, until a handler takes them.
  std::vector<ScopedHandle> received_handles_;
  // AttachToReply's handles, for the reply of the call being handled.
  std::vector<ScopedHandle> reply_handles_;
  bool serving_call_ = false;  // Inside a Serve/ServeControl handler.
  uint64_t serving_call_id_ = 0;
  bool reply_later_ = false;   // The handler called ReplyLater.
  bool send_refused_ = false;  // A Send/Call hit max_queued_bytes.
  // Shared bodies sent that the peer has not said it took.
  uint64_t shared_bytes_in_flight_ = 0;
  // While a frame with a shared body is dispatched: the SharedBodyTaken that
  // the peer is owed for it (its region's id; 0 for none), sent before
  // anything else leaves (the body has been parsed or copied by then).
  uint32_t owed_taken_region_ = 0;
  uint64_t owed_taken_bytes_ = 0;
  bool owed_taken_lost_ = false;  // The region never arrived or was unusable.
  // After the peer lost a region: how many more large messages go through the
  // socket before shared memory is tried again.
  uint32_t socket_bodies_left_ = 0;
  bool reading_paused_ = false;  // Stopped reading until the queue drains.
  absl::AnyInvocable<void()> on_drained_;
  uint64_t next_seq_ = 1;
  uint64_t frames_sent_ = 0;
  uint64_t frames_received_ = 0;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t messages_dropped_ = 0;  // Of types without a handler.
  uint64_t messages_undelivered_ = 0;
  uint64_t calls_started_ = 0;

  absl::flat_hash_map<std::string, MessageHandler> message_handlers_;
  // The handler of the last type URL dispatched, in `message_handlers_`;
  // nullptr after any registration (which may move the map's entries).
  std::string cached_type_url_;
  MessageHandler* cached_handler_ = nullptr;
  absl::flat_hash_map<std::string, CallHandler> call_handlers_;
  absl::flat_hash_map<int, absl::AnyInvocable<void(const Control&)>>
      control_handlers_;
  absl::flat_hash_map<
      int, absl::AnyInvocable<absl::StatusOr<Control>(const Control&)>>
      control_servers_;

  // Cleared by the destructor, so that a handler that destroys the channel
  // stops the read loop that called it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  LoopThreadChecker loop_thread_{"ipc::Channel"};
};

// ---- Template definitions
// -------------------------------------------------------------------

template <typename T>
void Channel::On(absl::AnyInvocable<void(const T&)> handler) {
  static_assert(std::is_base_of_v<google::protobuf::Message, T>);
  // Small messages are parsed into one reused object (no allocation per
  // message); large ones into a fresh one, so that no handler keeps a big
  // buffer.
  RegisterMessageHandler(
      T::descriptor()->full_name(),
      [handler = std::move(handler), reused = ReusedMessage<T>()](
          absl::string_view body) mutable -> absl::Status {
        if (body.size() > kMaxReusedMessageBytes) {
          T message;
          if (!message.ParseFromArray(body.data(),
                                      static_cast<int>(body.size()))) {
            return absl::DataLossError("message body does not parse as " +
                                       T::descriptor()->full_name());
          }
          handler(message);
          return absl::OkStatus();
        }
        typename ReusedMessage<T>::Lease message = reused.Take();
        if (!message->ParseFromArray(body.data(),
                                     static_cast<int>(body.size()))) {
          return absl::DataLossError("message body does not parse as " +
                                     T::descriptor()->full_name());
        }
        handler(*message);
        return absl::OkStatus();
      });
}

template <typename Req, typename Resp>
void Channel::Call(const Req& request, absl::Time deadline,
                   absl::AnyInvocable<void(absl::StatusOr<Resp>)> done) {
  static_assert(std::is_base_of_v<google::protobuf::Message, Req>);
  static_assert(std::is_base_of_v<google::protobuf::Message, Resp>);
  StartAppCall(
      request, deadline,
      [done = std::move(done)](
          absl::StatusOr<const Envelope*> reply) mutable -> absl::Status {
        if (!reply.ok()) {
          done(reply.status());
          return absl::OkStatus();
        }
        const Envelope& envelope = **reply;
        if (envelope.has_error()) {
          done(ErrorToStatus(envelope.error()));
          return absl::OkStatus();
        }
        Resp response;
        if (!envelope.has_message() ||
            !envelope.message().UnpackTo(&response)) {
          absl::Status mismatch = absl::DataLossError(
              "reply is not a " + Resp::descriptor()->full_name());
          done(mismatch);
          return mismatch;
        }
        done(std::move(response));
        return absl::OkStatus();
      });
}

template <typename Req, typename Resp>
void Channel::Serve(
    absl::AnyInvocable<absl::StatusOr<Resp>(const Req&)> handler) {
  static_assert(std::is_base_of_v<google::protobuf::Message, Req>);
  static_assert(std::is_base_of_v<google::protobuf::Message, Resp>);
  RegisterCallHandler(
      Req::descriptor()->full_name(),
      [handler = std::move(handler)](absl::string_view body,
                                     ReplySink reply) mutable -> absl::Status {
        Req request;
        if (!request.ParseFromArray(body.data(),
                                    static_cast<int>(body.size()))) {
          return absl::DataLossError("request body does not parse as " +
                                     Req::descriptor()->full_name());
        }
        absl::StatusOr<Resp> response = handler(request);
        if (response.ok()) {
          reply(&*response, absl::OkStatus());
        } else {
          reply(nullptr, MarkHandlerError(response.status()));
        }
        return absl::OkStatus();
      });
}

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_CHANNEL_H_
