// libuv closes descriptors with a raw close system call, which the sanitizers
// cannot see (and Debian's libuv is not instrumented). A descriptor the loop
// closed is then reused by another thread, as the host's launcher thread does
// (opendir, pidfds) while the loop thread closes channels. Under
// ThreadSanitizer that reads as a race on the descriptor unless its options
// say `ignore_noninstrumented_modules=1` (the tsan test preset's), which is
// what this test checks: it fails under ThreadSanitizer without it.
// Elsewhere it checks only that the descriptor really is reused.
#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "common/fd_passing_posix.h"
#include "gtest/gtest.h"
#include "uv.h"

namespace bulkhead::ipc {
namespace {

TEST(UvFdReuseTest, ADescriptorTheLoopClosedIsReusedByAnotherThread) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  int ends[2];
  ASSERT_EQ(SocketPairCloseOnExec(SOCK_STREAM, ends), 0);
  const int read_end = ends[0];
  uv_pipe_t pipe;
  ASSERT_EQ(uv_pipe_init(&loop, &pipe, 0), 0);
  ASSERT_EQ(uv_pipe_open(&pipe, read_end), 0);
  ASSERT_EQ(::write(ends[1], "x", 1), 1);
  // The loop reads the byte (the access the sanitizer records), then closes
  // the pipe and with it `read_end`.
  ASSERT_EQ(uv_read_start(
                reinterpret_cast<uv_stream_t*>(&pipe),
                [](uv_handle_t*, size_t, uv_buf_t* buf) {
                  static char bytes[16];
                  *buf = uv_buf_init(bytes, sizeof(bytes));
                },
                [](uv_stream_t* stream, ssize_t, const uv_buf_t*) {
                  uv_close(reinterpret_cast<uv_handle_t*>(stream), nullptr);
                }),
            0);
  // Started before the loop runs; no lock orders its open after the loop's
  // close: only the kernel's descriptor table does, as in the host.
  std::atomic<bool> closed{false};
  int reused = -1;
  std::thread other([&] {
    while (!closed.load(std::memory_order_relaxed)) std::this_thread::yield();
    DIR* listing = ::opendir("/");
    if (listing == nullptr) return;
    reused = ::dirfd(listing);
    ::closedir(listing);
  });
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  closed.store(true, std::memory_order_relaxed);
  other.join();
  EXPECT_EQ(reused, read_end);
  ::close(ends[1]);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace bulkhead::ipc
