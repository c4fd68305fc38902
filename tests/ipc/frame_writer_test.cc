#include "ipc/frame_writer.h"

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/platform_handle.h"
#include "gtest/gtest.h"
#include "ipc/uv_handle.h"
#include "ipc/uv_loop.h"
#include "tests/ipc/channel_test_fixture.h"

namespace bulkhead::ipc {
namespace {

using testing::kGuard;
using testing::RunLoopUntil;

// Byte `i` of the test stream: a pattern whose order a reader can check.
char PatternByte(uint64_t i) { return static_cast<char>((i * 131) >> 3); }

// A loop with a writer's stream and a reader on the other end of a stream
// pair. The reader reads only once `StartReading` is called, and checks the
// pattern as bytes arrive.
class FrameWriterTest : public ::testing::Test {
 protected:
  FrameWriterTest() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &guard_);
    absl::StatusOr<HandlePair> pair = CreateStreamPair();
    EXPECT_TRUE(pair.ok()) << pair.status();
    writing_ = OpenPipe(std::move(pair->first));
    reading_ = OpenPipe(std::move(pair->second));
    reading_->data = this;
  }

  ~FrameWriterTest() override {
    writer_.reset();
    writing_.Close();
    reading_.Close();
    uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
    EXPECT_TRUE(DrainAndCloseLoop(&loop_).ok());
  }

  UvHandle<uv_pipe_t> OpenPipe(ScopedHandle handle) {
    UvHandle<uv_pipe_t> pipe(&loop_, /*ipc=*/0);
    const uv_file file = uv_open_osfhandle(handle.release());
    EXPECT_EQ(uv_pipe_open(pipe.get(), file), 0);
    return pipe;
  }

  uv_stream_t* stream() { return writing_.stream(); }

  // Appends `size` bytes of the pattern to the writer's queue.
  void Append(size_t size) {
    std::string* queue = writer_->queue();
    for (size_t i = 0; i < size; ++i)
      queue->push_back(PatternByte(appended_++));
  }

  void StartReading() {
    uv_read_start(
        reading_.stream(),
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          static char storage[256 * 1024];
          *buf = uv_buf_init(storage, sizeof(storage));
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
          auto* self = static_cast<FrameWriterTest*>(stream->data);
          if (nread <= 0) return;
          ++self->reads_;
          for (ssize_t i = 0; i < nread; ++i) {
            if (buf->base[i] != PatternByte(self->received_)) ++self->wrong_;
            ++self->received_;
          }
        });
  }

  bool RunUntil(const std::function<bool()>& done) {
    return RunLoopUntil(&loop_, &guard_, done, kGuard);
  }

  uv_loop_t loop_;
  uv_timer_t guard_;
  UvHandle<uv_pipe_t> writing_;
  UvHandle<uv_pipe_t> reading_;
  int write_done_calls_ = 0;
  int last_status_ = 1;
  std::unique_ptr<FrameWriter> writer_ =
      std::make_unique<FrameWriter>([this](int status) {
        ++write_done_calls_;
        last_status_ = status;
      });
  uint64_t appended_ = 0;
  uint64_t received_ = 0;
  uint64_t wrong_ = 0;
  int reads_ = 0;
};

TEST_F(FrameWriterTest, ManyFramesLeaveInOneWrite) {
  for (int frame = 0; frame < 200; ++frame) Append(64);
  ASSERT_EQ(writer_->Flush(stream()), 0);
  EXPECT_EQ(writer_->writes(), 1u);
  StartReading();
  ASSERT_TRUE(RunUntil([&] { return received_ == appended_; }));
  EXPECT_EQ(wrong_, 0u);
  EXPECT_EQ(writer_->size(), 0u);
}

TEST_F(FrameWriterTest, WhatThePeerDoesNotTakeYetLeavesInOrderLater) {
  // Far more than the kernel buffers: the rest waits in one write request.
  Append(2 << 20);
  ASSERT_EQ(writer_->Flush(stream()), 0);
  EXPECT_TRUE(writer_->write_in_flight());
  EXPECT_GT(writer_->size(), 0u);
  // Appended while a write is in flight: Flush leaves it queued.
  Append(1000);
  const uint64_t writes = writer_->writes();
  ASSERT_EQ(writer_->Flush(stream()), 0);
  EXPECT_EQ(writer_->writes(), writes);
  StartReading();
  ASSERT_TRUE(RunUntil([&] { return write_done_calls_ == 1; }));
  EXPECT_EQ(last_status_, 0);
  ASSERT_EQ(writer_->Flush(stream()), 0);  // What on_write_done would do.
  ASSERT_TRUE(RunUntil([&] { return received_ == appended_; }));
  EXPECT_EQ(wrong_, 0u);
  ASSERT_TRUE(RunUntil([&] { return !writer_->write_in_flight(); }));
  EXPECT_EQ(writer_->size(), 0u);
}

TEST_F(FrameWriterTest, DestroyedWithAWriteInFlightNeverCallsBack) {
  Append(2 << 20);
  ASSERT_EQ(writer_->Flush(stream()), 0);
  ASSERT_TRUE(writer_->write_in_flight());
  writer_.reset();
  // The reader takes everything: the orphaned write completes and frees
  // itself (ASan would see a leak or a use after free).
  StartReading();
  ASSERT_TRUE(RunUntil([&] { return received_ == appended_; }));
  EXPECT_EQ(write_done_calls_, 0);
  EXPECT_EQ(wrong_, 0u);
}

TEST_F(FrameWriterTest, ClosingTheStreamCancelsTheWriteInFlight) {
  Append(2 << 20);
  ASSERT_EQ(writer_->Flush(stream()), 0);
  ASSERT_TRUE(writer_->write_in_flight());
  writing_.Close();
  ASSERT_TRUE(RunUntil([&] { return write_done_calls_ == 1; }));
  EXPECT_NE(last_status_, 0);  // UV_ECANCELED (how Windows says it may vary).
  EXPECT_FALSE(writer_->write_in_flight());
}

TEST_F(FrameWriterTest, DropQueuedKeepsTheWriteInFlight) {
  Append(100);
  writer_->DropQueued();
  EXPECT_EQ(writer_->size(), 0u);
  ASSERT_EQ(writer_->Flush(stream()), 0);
  EXPECT_EQ(writer_->writes(), 0u);
}

}  // namespace
}  // namespace bulkhead::ipc
