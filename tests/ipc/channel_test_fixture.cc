#include "tests/ipc/channel_test_fixture.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "ipc/uv_status.h"

namespace bulkhead::ipc::testing {
namespace {

// Read granularity for the raw peer, as in the channel.
constexpr size_t kReadChunk = 64 * 1024;

}  // namespace

Channel::CloseHandler RecordClose(CloseLog* log) {
  return [log](CloseReason reason, const absl::Status& detail) {
    ++log->count;
    log->reason = reason;
    log->detail = detail;
  };
}

const char* ReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed:
      return "peer-closed";
    case CloseReason::kProtocolViolation:
      return "protocol-violation";
    case CloseReason::kIoError:
      return "io-error";
    case CloseReason::kClosedLocally:
      return "closed-locally";
  }
  return "?";
}

absl::AnyInvocable<void(absl::StatusOr<LayoutTextResponse>)> RecordCall(
    CallLog* log) {
  return [log](absl::StatusOr<LayoutTextResponse> result) {
    ++log->count;
    log->result = std::move(result);
  };
}

LayoutTextRequest Request(absl::string_view text, uint32_t width) {
  LayoutTextRequest request;
  request.set_text(std::string(text));
  request.set_width(width);
  return request;
}

absl::StatusOr<LayoutTextResponse> OneWordPerLine(
    const LayoutTextRequest& request) {
  if (request.width() == 0)
    return absl::InvalidArgumentError("width must be positive");
  LayoutTextResponse response;
  for (absl::string_view word :
       absl::StrSplit(request.text(), ' ', absl::SkipEmpty())) {
    response.add_lines(std::string(word));
    response.set_longest_line(std::max<uint32_t>(
        response.longest_line(), static_cast<uint32_t>(word.size())));
  }
  response.set_word_count(static_cast<uint32_t>(response.lines_size()));
  return response;
}

std::string Header(uint32_t length) {
  std::string header(kFrameHeaderSize, '\0');
  for (size_t i = 0; i < kFrameHeaderSize; ++i) {
    header[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return header;
}

std::string Frame(const Envelope& envelope) {
  std::string out;
  EXPECT_TRUE(AppendFrame(envelope, kDefaultMaxFrameSize, &out).ok());
  return out;
}

bool RunLoopUntil(uv_loop_t* loop, uv_timer_t* guard,
                  const std::function<bool()>& done, absl::Duration timeout) {
  bool timed_out = false;
  guard->data = &timed_out;
  uv_timer_start(
      guard, [](uv_timer_t* timer) { *static_cast<bool*>(timer->data) = true; },
      static_cast<uint64_t>(absl::ToInt64Milliseconds(timeout)), 0);
  // `done()` is also checked just before the loop would block, so that what a
  // timer callback completes ends the wait at once.
  uv_prepare_t before_poll;
  uv_prepare_init(loop, &before_poll);
  before_poll.data = const_cast<std::function<bool()>*>(&done);
  uv_prepare_start(&before_poll, [](uv_prepare_t* prepare) {
    if ((*static_cast<const std::function<bool()>*>(prepare->data))())
      uv_stop(prepare->loop);
  });
  while (!done() && !timed_out) uv_run(loop, UV_RUN_ONCE);
  uv_timer_stop(guard);
  guard->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&before_poll), nullptr);
  // Runs the close (and nothing that blocks: a closing handle means no wait).
  uv_run(loop, UV_RUN_NOWAIT);
  return done();
}

// ---- RawPeer ----

// Heap-allocated so that a write still pending when the test gives up (or the
// peer closes) completes safely: its callback only touches `result`.
struct RawPeer::WriteRequest {
  uv_write_t req;
  std::string data;
  std::shared_ptr<std::optional<int>> result;
};

RawPeer::RawPeer(uv_loop_t* loop, uv_timer_t* guard)
    : loop_(loop), guard_(guard) {}

RawPeer::~RawPeer() { Close(); }

absl::Status RawPeer::Open(ScopedHandle handle) {
  if (pipe_) return absl::FailedPreconditionError("already open");
  // On Windows the HANDLE becomes a C runtime fd here, which from then on owns
  // it; elsewhere this is the fd itself.
  const uv_file file = uv_open_osfhandle(handle.get());
  if (file < 0) return absl::InvalidArgumentError("not a valid stream handle");
  (void)handle.release();
  UvHandle<uv_pipe_t> pipe(loop_, /*ipc=*/0);
  const int rc = uv_pipe_open(pipe.get(), file);
  if (rc != 0) {
    pipe.Close();
    uv_fs_t close_request;
    uv_fs_close(loop_, &close_request, file, nullptr);
    uv_fs_req_cleanup(&close_request);
    return UvErrorToStatus(rc, "uv_pipe_open");
  }
  // The pipe owns the descriptor now and closes it in uv_close.
  pipe->data = this;
  pipe_ = std::move(pipe);
  return absl::OkStatus();
}

absl::Status RawPeer::Write(absl::string_view bytes) {
  if (!pipe_) return absl::FailedPreconditionError("not open");
  auto* request = new WriteRequest;
  request->data = std::string(bytes);
  request->result = std::make_shared<std::optional<int>>();
  request->req.data = request;
  const std::shared_ptr<std::optional<int>> result = request->result;
  uv_buf_t buf = uv_buf_init(request->data.data(),
                             static_cast<unsigned int>(request->data.size()));
  const int rc = uv_write(&request->req, pipe_.stream(), &buf, 1,
                          [](uv_write_t* req, int status) {
                            auto* done = static_cast<WriteRequest*>(req->data);
                            *done->result = status;
                            delete done;
                          });
  if (rc != 0) {
    delete request;
    return UvErrorToStatus(rc, "uv_write");
  }
  if (!RunLoopUntil(loop_, guard_, [&] { return result->has_value(); })) {
    return absl::DeadlineExceededError(
        absl::StrCat("writing ", bytes.size(), " bytes did not finish"));
  }
  return UvErrorToStatus(**result, "write");
}

absl::Status RawPeer::WaitForFrames(size_t count) {
  if (!pipe_) return absl::FailedPreconditionError("not open");
  if (!reading_) {
    const int rc = uv_read_start(pipe_.stream(), OnAlloc, OnRead);
    if (rc != 0) return UvErrorToStatus(rc, "uv_read_start");
    reading_ = true;
  }
  RunLoopUntil(loop_, guard_, [&] {
    return frames_.size() >= count || eof_ || !read_error_.ok();
  });
  if (frames_.size() >= count) return absl::OkStatus();
  const std::string got =
      absl::StrCat("got ", frames_.size(), " of ", count, " frames before ");
  if (!read_error_.ok()) {
    return absl::Status(read_error_.code(),
                        absl::StrCat(got, read_error_.message()));
  }
  if (eof_) return absl::OutOfRangeError(absl::StrCat(got, "end of stream"));
  return absl::DeadlineExceededError(absl::StrCat(got, "the deadline"));
}

void RawPeer::Close() { pipe_.Close(); }

void RawPeer::OnAlloc(uv_handle_t* handle, size_t /*suggested*/,
                      uv_buf_t* buf) {
  auto* self = static_cast<RawPeer*>(handle->data);
  absl::Span<char> space = self->decoder_.PrepareWrite(kReadChunk);
  *buf = uv_buf_init(space.data(), static_cast<unsigned int>(space.size()));
}

void RawPeer::OnRead(uv_stream_t* stream, ssize_t nread,
                     const uv_buf_t* /*buf*/) {
  auto* self = static_cast<RawPeer*>(stream->data);
  if (self != nullptr) self->HandleRead(nread);
}

void RawPeer::HandleRead(ssize_t nread) {
  if (nread == 0) return;  // EAGAIN: nothing this time.
  if (nread < 0) {
    if (nread == UV_EOF) {
      eof_ = true;
    } else {
      read_error_ = UvErrorToStatus(static_cast<int>(nread), "read");
    }
    uv_read_stop(pipe_.stream());
    return;
  }
  decoder_.CommitWrite(static_cast<size_t>(nread));
  while (true) {
    absl::StatusOr<std::optional<absl::string_view>> frame = decoder_.Next();
    if (!frame.ok()) {
      read_error_ = absl::DataLossError(frame.status().message());
      break;
    }
    if (!frame->has_value()) return;
    Envelope& envelope = frames_.emplace_back();
    if (!envelope.ParseFromArray((*frame)->data(),
                                 static_cast<int>((*frame)->size()))) {
      read_error_ = absl::DataLossError(absl::StrCat(
          "frame ", frames_.size(), " does not parse as an Envelope"));
      frames_.pop_back();
      break;
    }
  }
  uv_read_stop(pipe_.stream());
}

// ---- ChannelTest ----

ChannelTest::ChannelTest() {
  EXPECT_EQ(uv_loop_init(&loop_), 0);
  EXPECT_EQ(uv_timer_init(&loop_, &guard_), 0);
}

ChannelTest::~ChannelTest() {
  a_.reset();
  b_.reset();
  raw_.Close();
  uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
  // Lets the close callbacks of the channels and the raw peer free their
  // handles; then nothing may be left.
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle outlived its owner";
}

void ChannelTest::CreatePair(Channel::Options a_options,
                             Channel::Options b_options) {
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  a_ = Channel::Create(&loop_, a_options);
  b_ = Channel::Create(&loop_, b_options);
  ASSERT_TRUE(a_->Open(std::move(pair->first)).ok());
  ASSERT_TRUE(b_->Open(std::move(pair->second)).ok());
}

void ChannelTest::StartPair() {
  ASSERT_TRUE(a_->Start(RecordClose(&a_closed_)).ok());
  ASSERT_TRUE(b_->Start(RecordClose(&b_closed_)).ok());
}

void ChannelTest::CreateWithRawPeer(Channel::Options options) {
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  a_ = Channel::Create(&loop_, options);
  ASSERT_TRUE(a_->Open(std::move(pair->first)).ok());
  ASSERT_EQ(raw_.Open(std::move(pair->second)), absl::OkStatus());
}

void ChannelTest::CallFromA(CallLog* log, absl::Duration timeout) {
  a_->Call<LayoutTextRequest, LayoutTextResponse>(
      Request("pending call", 10), absl::Now() + timeout, RecordCall(log));
}

const std::vector<Envelope>& ChannelTest::ReadFromRaw(size_t count) {
  const absl::Status read = raw_.WaitForFrames(count);
  EXPECT_TRUE(read.ok()) << "the raw end " << read;
  return raw_.frames();
}

}  // namespace bulkhead::ipc::testing
