// OutputCapture on a real pipe: lines forwarded with their prefix, the last
// ones kept, end-of-stream reported once.
#include "host/output_capture.h"

#include <uv.h>

#include <cstdio>
#include <string>

#include "common/platform_handle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

std::string ReadAll(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[256];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
  }
  return text;
}

TEST(OutputCaptureTest, ForwardsPrefixedLinesAndKeepsTheLast) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::FILE* sink = std::tmpfile();
  ASSERT_NE(sink, nullptr);
  {
    OutputWriter forwarded(sink);
    OutputCapture capture(&loop, &forwarded);
    absl::StatusOr<HandlePair> pair = CreateStreamPair();
    ASSERT_TRUE(pair.ok()) << pair.status();
    ASSERT_EQ(
        uv_pipe_open(capture.pipe(), uv_open_osfhandle(pair->first.release())),
        0);
    int eofs = 0;
    ASSERT_TRUE(capture.Start("[x-1 42] ", [&] { ++eofs; }).ok());

    // The writing end: a libuv pipe too, so that this runs on every platform.
    uv_pipe_t writer;
    uv_pipe_init(&loop, &writer, 0);
    ASSERT_EQ(uv_pipe_open(&writer, uv_open_osfhandle(pair->second.release())),
              0);
    std::string text = "first\nsecond li";
    uv_buf_t buf = uv_buf_init(text.data(), static_cast<unsigned>(text.size()));
    uv_write_t write;
    uv_write(&write, reinterpret_cast<uv_stream_t*>(&writer), &buf, 1,
             [](uv_write_t* request, int) {
               uv_close(reinterpret_cast<uv_handle_t*>(request->handle),
                        nullptr);
             });
    // Runs until the writer is closed and the reader saw end-of-stream: no
    // timer needed, the loop ends when nothing is left to do.
    while (eofs == 0 && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    EXPECT_EQ(eofs, 1);
    EXPECT_FALSE(capture.is_open());
    EXPECT_THAT(capture.last_lines(),
                ::testing::ElementsAre("first", "second li"));
    EXPECT_TRUE(forwarded.Flush(absl::Seconds(5)));
    EXPECT_EQ(capture.lines_dropped(), 0u);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  EXPECT_EQ(ReadAll(sink), "[x-1 42] first\n[x-1 42] second li\n");
  std::fclose(sink);
}

}  // namespace
}  // namespace bulkhead
