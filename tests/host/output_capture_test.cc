// OutputCapture on a real pipe: lines forwarded with their prefix, the last
// ones kept, end-of-stream reported once.
#include "host/output_capture.h"

#include <uv.h>

#include <cstdio>
#include <string>
#include <vector>

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

// What a capture with prefix "[x-1 42] " forwards and keeps of `text`, written
// to it through a real pipe and then closed.
struct Captured {
  std::string forwarded;
  std::vector<std::string> last_lines;
};

Captured Capture(std::string text) {
  Captured captured;
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::FILE* sink = std::tmpfile();
  EXPECT_NE(sink, nullptr);
  if (sink == nullptr) return captured;
  {
    OutputWriter forwarded(sink);
    OutputCapture capture(&loop, &forwarded);
    absl::StatusOr<HandlePair> pair = CreateStreamPair();
    EXPECT_TRUE(pair.ok()) << pair.status();
    if (!pair.ok()) return captured;
    EXPECT_EQ(
        uv_pipe_open(capture.pipe(), uv_open_osfhandle(pair->first.release())),
        0);
    int eofs = 0;
    EXPECT_TRUE(capture.Start("[x-1 42] ", [&] { ++eofs; }).ok());

    // The writing end: a libuv pipe too, so that this runs on every platform.
    uv_pipe_t writer;
    uv_pipe_init(&loop, &writer, 0);
    EXPECT_EQ(uv_pipe_open(&writer, uv_open_osfhandle(pair->second.release())),
              0);
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
    captured.last_lines = capture.last_lines();
    EXPECT_TRUE(forwarded.Flush(absl::Seconds(5)));
    EXPECT_EQ(capture.lines_dropped(), 0u);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  captured.forwarded = ReadAll(sink);
  std::fclose(sink);
  return captured;
}

TEST(OutputCaptureTest, ForwardsPrefixedLinesAndKeepsTheLast) {
  const Captured captured = Capture("first\nsecond li");
  EXPECT_THAT(captured.last_lines,
              ::testing::ElementsAre("first", "second li"));
  EXPECT_EQ(captured.forwarded, "[x-1 42] first\n[x-1 42] second li\n");
}

// A helper must not drive the host's terminal: clear the screen, move the
// cursor, retitle the window, or overwrite its own prefix with another
// helper's (a carriage return, then a forged "[gpu-2 7] "). Control
// characters, C1 controls and invalid UTF-8 reach the host's output escaped;
// tabs and well-formed text stay as they were.
TEST(OutputCaptureTest, ControlCharactersAreForwardedEscaped) {
  const Captured captured = Capture(
      "\x1b[2J\x1b]0;owned\x07"
      "cleared\n"
      "mine\r[gpu-2 7] forged\n"
      "tab\there caf\xc3\xa9 \xc2\x9b"
      "31m \xff\x7f\x08\n");
  EXPECT_EQ(captured.forwarded,
            "[x-1 42] \\x1b[2J\\x1b]0;owned\\x07cleared\n"
            "[x-1 42] mine\\x0d[gpu-2 7] forged\n"
            "[x-1 42] tab\there caf\xc3\xa9 \\u009b31m \\xff\\x7f\\x08\n");
  // What the app reads back (ExitInfo's last lines) is the helper's own.
  EXPECT_EQ(captured.last_lines.front(),
            "\x1b[2J\x1b]0;owned\x07"
            "cleared");
}

}  // namespace
}  // namespace bulkhead
