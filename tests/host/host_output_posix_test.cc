// Forwarded helper output when nobody reads the host's stdout: the host's
// loop never waits for it. Lines that find no room are dropped and counted,
// sibling calls keep their deadlines, and the host shuts down at once.
#include <fcntl.h>
#include <stdio_ext.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "host/output_writer.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

// How long the pipe's reader stays away before it gives up on the test and
// closes its end (a host stuck in a write to it then gets EPIPE, and the test
// fails on the calls that timed out meanwhile instead of hanging). Far longer
// than the test takes: under ThreadSanitizer on a busy machine its calls took
// over 20 s in all, and the reader, gone, failed it.
constexpr absl::Duration kReaderPatience = absl::Seconds(120);

// The test's failures, on stderr: its stdout is the unread pipe, whose
// buffered text (gtest's messages with it) is thrown away at the end.
class FailuresToStderr : public ::testing::EmptyTestEventListener {
 public:
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "%s:%d: Failure\n%s\n",
                 result.file_name() != nullptr ? result.file_name() : "?",
                 result.line_number(), result.message());
  }
};

// This process's fd 1 is a pipe whose reader does not read until told to.
class UnreadStdout {
 public:
  UnreadStdout() {
    std::fflush(stdout);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    saved_ = ::dup(STDOUT_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[1]);
    read_end_ = fds[0];
    watchdog_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!done_.wait_for(lock, absl::ToChronoNanoseconds(kReaderPatience),
                          [&] { return finished_; })) {
        CloseReadEnd();
      }
    });
  }
  ~UnreadStdout() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
      done_.notify_all();
    }
    watchdog_.join();
    // Writes to the pipe fail from here (EPIPE; SIGPIPE is ignored by the
    // channel), so whatever is still queued goes quickly.
    CloseReadEnd();
    OutputWriter::Stdout().Flush(absl::Seconds(5));
    // What the failed writes left in stdout's buffer is not for the terminal.
    __fpurge(stdout);
    if (saved_ >= 0) {
      ::dup2(saved_, STDOUT_FILENO);
      ::close(saved_);
    }
    std::clearerr(stdout);
  }

  bool ok() const { return read_end_ >= 0 && saved_ >= 0; }

  // Reads (as a slow reader that comes back) until `needle` shows up;
  // whether it did before `timeout`.
  bool ReadUntil(absl::string_view needle, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::string seen;
    char buffer[4096];
    while (absl::Now() < deadline) {
      const ssize_t n = ::read(read_end_, buffer, sizeof(buffer));
      if (n <= 0) return false;
      seen.append(buffer, static_cast<size_t>(n));
      if (absl::StrContains(seen, needle)) return true;
      // Keeps only a tail that could hold the start of `needle`.
      if (seen.size() > 2 * needle.size() + sizeof(buffer)) {
        seen.erase(0, seen.size() - needle.size());
      }
    }
    return false;
  }

 private:
  void CloseReadEnd() {
    const int fd = read_end_.exchange(-1);
    if (fd >= 0) ::close(fd);
  }

  int saved_ = -1;
  std::atomic<int> read_end_{-1};
  std::mutex mutex_;
  std::condition_variable done_;
  bool finished_ = false;
  std::thread watchdog_;
};

class HostOutputTest : public testing::HostFixture {
 protected:
  void SetUp() override {
    ::testing::UnitTest::GetInstance()->listeners().Append(&failures_);
    HostFixture::SetUp();
  }
  void TearDown() override {
    HostFixture::TearDown();
    ::testing::UnitTest::GetInstance()->listeners().Release(&failures_);
  }

 private:
  FailuresToStderr failures_;
};

TEST_F(HostOutputTest, AnUnreadStdoutDropsHelperLinesAndNeverStallsTheLoop) {
  UnreadStdout unread;
  ASSERT_TRUE(unread.ok());
  HelperProcess* flooder = LaunchReady("flooder");
  ASSERT_NE(flooder, nullptr);
  HelperProcess* sibling = LaunchReady("env-reader");
  ASSERT_NE(sibling, nullptr);
  // The pipe (64 KiB) and the writer's queue (1 MiB) fill within
  // milliseconds of flooding; every call below waits on the loop behind them.
  ASSERT_TRUE(RunUntil([&] { return flooder->output_lines_dropped() > 0; }));
  for (int i = 0; i < 10; ++i) {
    roles::LayoutTextRequest request;
    request.set_text("PATH");
    absl::StatusOr<roles::LayoutTextResponse> answer =
        CallAndWait<roles::LayoutTextResponse>(sibling, request,
                                               absl::Seconds(2));
    ASSERT_TRUE(answer.ok()) << "call " << i << ": " << answer.status();
    request.set_text("still here");
    answer = CallAndWait<roles::LayoutTextResponse>(flooder, request,
                                                    absl::Seconds(2));
    ASSERT_TRUE(answer.ok()) << "call " << i << ": " << answer.status();
  }
  const uint64_t dropped = flooder->output_lines_dropped();
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(sibling->output_lines_dropped(), 0u);
  // A reader that comes back learns what it missed.
  EXPECT_TRUE(
      unread.ReadUntil("lines of helper output dropped", absl::Seconds(10)));
  // And the host shuts down at once, whether or not its output is read.
  const absl::Time before = absl::Now();
  host_.reset();
  EXPECT_LT(absl::Now() - before, absl::Seconds(3));
}

}  // namespace
}  // namespace bulkhead
