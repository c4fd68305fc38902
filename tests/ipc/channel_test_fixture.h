// Shared by the Channel tests: records of what handlers and completions saw,
// request and frame builders, a raw peer that speaks bytes instead of
// `Channel`, and the `ChannelTest` fixture that owns the loop.
//
// Thread: everything here runs on the test's thread, which owns the loop.
// Nothing here uses OS calls directly: the raw peer is a libuv pipe on the
// same loop, so the tests run unchanged on POSIX (socketpair) and Windows
// (overlapped named pipe).
#ifndef BULKHEAD_TESTS_IPC_CHANNEL_TEST_FIXTURE_H_
#define BULKHEAD_TESTS_IPC_CHANNEL_TEST_FIXTURE_H_

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/platform_handle.h"
#include "gtest/gtest.h"
#include "ipc/channel.h"
#include "ipc/frame_codec.h"
#include "ipc/proto/envelope.pb.h"
#include "ipc/uv_handle.h"
#include "tests/ipc/sample_messages.pb.h"

// Our test helpers live in a `testing` namespace, as tests/support's do;
// GoogleTest is therefore always spelled `::testing`.
namespace bulkhead::ipc::testing {

using CloseReason = Channel::CloseReason;

// How long any single wait in these tests may take before it fails.
inline constexpr absl::Duration kGuard = absl::Seconds(5);

// What a close handler saw.
struct CloseLog {
  int count = 0;
  CloseReason reason = CloseReason::kClosedLocally;
  absl::Status detail;
};

// A close handler that records into `log` (not owned; must outlive the
// channel's open life).
Channel::CloseHandler RecordClose(CloseLog* log);

// `reason` as a short name, for failure messages.
const char* ReasonName(CloseReason reason);

// One completion of a LayoutText call.
struct CallLog {
  int count = 0;
  std::optional<absl::StatusOr<LayoutTextResponse>> result;
};

// A completion that records into `log` (not owned; must outlive the call).
absl::AnyInvocable<void(absl::StatusOr<LayoutTextResponse>)> RecordCall(
    CallLog* log);

LayoutTextRequest Request(absl::string_view text, uint32_t width);

// A real (if naive) server: one word per line. InvalidArgument for width 0.
absl::StatusOr<LayoutTextResponse> OneWordPerLine(
    const LayoutTextRequest& request);

// A frame header announcing `length` payload bytes.
std::string Header(uint32_t length);
// `envelope` framed as a channel would send it; a test failure if it cannot be.
std::string Frame(const Envelope& envelope);

// Runs `loop` until `done()` holds or `timeout` passes; returns `done()`.
// `guard` is an initialized, inactive timer on `loop` (not owned) that wakes
// the loop at the deadline; it is inactive again on return. Not reentrant for
// the same `guard`.
bool RunLoopUntil(uv_loop_t* loop, uv_timer_t* guard,
                  const std::function<bool()>& done,
                  absl::Duration timeout = kGuard);

// The far end of a stream pair, driven by libuv on the test's loop: a test
// writes arbitrary bytes to a channel through it and reads back the Envelopes
// the channel sent. It does not read until asked to (`WaitForFrames`); from
// then on it reads whenever the loop runs.
class RawPeer {
 public:
  // `loop` and `guard` (as for `RunLoopUntil`) are not owned and must outlive
  // the peer's open life; the loop must also run after `Close()` so that the
  // pipe is freed.
  RawPeer(uv_loop_t* loop, uv_timer_t* guard);
  // Closes the end if it is still open.
  ~RawPeer();
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  // Takes ownership of `handle` (one end of `CreateStreamPair()`).
  // FailedPrecondition if already opened; otherwise the libuv error.
  absl::Status Open(ScopedHandle handle);

  // Writes `bytes` and runs the loop until libuv reports the write done (so
  // the channel may already have read them). DeadlineExceeded after `kGuard`;
  // FailedPrecondition when not open; otherwise the write's libuv error.
  absl::Status Write(absl::string_view bytes);

  // Runs the loop, reading, until `count` frames in all have arrived (OK).
  // DeadlineExceeded after `kGuard`; OutOfRange on end-of-stream first;
  // DataLoss for bytes that are not frames of Envelopes; the libuv error if
  // reading fails. Never-read bytes are left in the stream until then.
  absl::Status WaitForFrames(size_t count);
  // Every frame read so far, in order.
  const std::vector<Envelope>& frames() const { return frames_; }

  // Closes this end now: the channel sees end-of-stream. Idempotent.
  void Close();

 private:
  struct WriteRequest;

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void HandleRead(ssize_t nread);

  uv_loop_t* const loop_;    // Not owned.
  uv_timer_t* const guard_;  // Not owned.
  // While open. `data` points back here.
  UvHandle<uv_pipe_t> pipe_;
  bool reading_ = false;
  bool eof_ = false;
  absl::Status read_error_;
  FrameDecoder decoder_;
  std::vector<Envelope> frames_;
};

// Owns a loop (which must be empty again at teardown), up to two channels
// `a_` and `b_`, and a raw peer `raw_`.
class ChannelTest : public ::testing::Test {
 protected:
  ChannelTest();
  // Destroys the channels, closes the raw peer, and fails the test if any
  // handle is left on the loop.
  ~ChannelTest() override;

  // Runs the loop until `done()` holds or `timeout` passes; returns `done()`.
  bool RunUntil(const std::function<bool()>& done,
                absl::Duration timeout = kGuard) {
    return RunLoopUntil(&loop_, &guard_, done, timeout);
  }

  // Two connected channels `a_` and `b_`, not started.
  void CreatePair(Channel::Options a_options = {},
                  Channel::Options b_options = {});
  // Starts both, recording closes in `a_closed_` and `b_closed_`.
  void StartPair();

  // `a_` (not started) on one end and `raw_` on the other, which reads
  // nothing unless the test asks it to.
  void CreateWithRawPeer(Channel::Options options = {});

  // Issues a LayoutText call on `a_` with a far deadline.
  void CallFromA(CallLog* log, absl::Duration timeout = absl::Seconds(60));

  // A call log that outlives the test body, so that calls still pending when
  // the channels are destroyed (CANCELLED) have somewhere to write.
  CallLog& NewLog() { return call_logs_.emplace_back(); }

  // Runs the loop (so that `a_` keeps writing) until `raw_` has received
  // `count` frames in all; returns every frame received so far. A test failure
  // if fewer arrive.
  const std::vector<Envelope>& ReadFromRaw(size_t count);

  std::list<CallLog> call_logs_;
  uv_loop_t loop_;
  uv_timer_t guard_;
  std::unique_ptr<Channel> a_;
  std::unique_ptr<Channel> b_;
  RawPeer raw_{&loop_, &guard_};
  CloseLog a_closed_;
  CloseLog b_closed_;
};

}  // namespace bulkhead::ipc::testing

#endif  // BULKHEAD_TESTS_IPC_CHANNEL_TEST_FIXTURE_H_
