// browser_host's stdin, run for real: the commands it reads are bounded by the
// commands it carries out. POSIX: the test drives the pipes itself.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/platform.h"
#include "gtest/gtest.h"

extern char** environ;

namespace bulkhead {
namespace {

// Collects everything a pipe carries, on a thread of its own, so that the
// process writing it is never held up by the test.
class PipeDrain {
 public:
  explicit PipeDrain(int fd)
      : thread_([this, fd] {
          char buffer[65536];
          for (;;) {
            const ssize_t n = read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            std::lock_guard<std::mutex> lock(mutex_);
            if (n <= 0) {
              ended_ = true;
              changed_.notify_all();
              return;
            }
            text_.append(buffer, static_cast<size_t>(n));
            changed_.notify_all();
          }
        }) {}
  ~PipeDrain() { thread_.join(); }

  // Waits until what was read so far contains `marker`, or the end of the
  // pipe (`marker` empty), up to `timeout`.
  bool WaitFor(const std::string& marker, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
      return marker.empty() ? ended_ : text_.find(marker) != std::string::npos;
    });
  }
  size_t Count(const std::string& marker) {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t count = 0;
    for (size_t at = text_.find(marker); at != std::string::npos;
         at = text_.find(marker, at + 1)) {
      ++count;
    }
    return count;
  }
  std::string Tail(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_.substr(text_.size() > size ? text_.size() - size : 0);
  }

 private:
  // std::mutex, not absl::Mutex: the system's Abseil is not built for
  // ThreadSanitizer, which then cannot see its locking.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_;
  bool ended_ = false;
  std::thread thread_;
};

// Starts browser_host with `in[0]` as its stdin, `out[1]` as its stdout
// (both closed here) and stderr to /dev/null. Its pid, or -1.
pid_t SpawnBrowserHost(const int in[2], const int out[2]) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  for (int fd : {in[0], in[1], out[0], out[1]}) {
    posix_spawn_file_actions_addclose(&actions, fd);
  }
  char program[] = BROWSER_HOST_PATH;
  char* argv[] = {program, nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, program, &actions, nullptr, argv, environ) != 0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  return pid;
}

// Input given faster than the host carries it out (`yes status |
// browser_host`) waits in the pipe, not in the host. Before, a thread read
// every line at once and queued it for the loop: the host's memory grew
// without bound (17 GB in ten minutes of `yes status`), and SIGTERM waited
// behind the whole backlog.
TEST(CommandReaderTest, InputWaitsInThePipeWhileTheHostIsBusy) {
  int in[2];
  int out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  size_t capacity = 65536;
#if defined(BULKHEAD_OS_LINUX)
  // A small pipe: fewer lines make the point.
  if (fcntl(in[1], F_SETPIPE_SZ, 4096) >= 0) {
    capacity = static_cast<size_t>(fcntl(in[1], F_GETPIPE_SZ));
  }
#endif
  const pid_t pid = SpawnBrowserHost(in, out);
  ASSERT_GT(pid, 0);
  PipeDrain printed(out[0]);
  // The first round of work is done and the commands are listed.
  EXPECT_TRUE(printed.WaitFor("Commands:", absl::Seconds(60)));

  // The most lines the host may hold before carrying them out: what stdin's
  // buffer holds, and some.
  constexpr char kLine[] = "status\n";
  const size_t ahead = (capacity + 8192) / (sizeof kLine - 1) + 256;
  const size_t lines = 3 * ahead;
  const size_t tables_before = printed.Count("\nHELPER ");
  std::string input;
  for (size_t i = 0; i < lines; ++i) input += kLine;
  for (size_t done = 0; done < input.size();) {
    const ssize_t n = write(in[1], input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ASSERT_GT(n, 0) << std::strerror(errno);
    done += static_cast<size_t>(n);
  }
  // All written: only the last few may still wait to be carried out.
  const size_t carried_out = printed.Count("\nHELPER ") - tables_before;
  EXPECT_GE(carried_out + ahead, lines)
      << "the host had read " << lines - carried_out
      << " commands ahead of what it carried out";

  // End of input: the host carries out what it read, then shuts down.
  close(in[1]);
  EXPECT_TRUE(printed.WaitFor("", absl::Seconds(120)));
  EXPECT_NE(printed.Tail(4096).find("Shutting down (end of input)"),
            std::string::npos)
      << printed.Tail(4096);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // Every command was carried out (the live refresh adds a table or two).
  EXPECT_GE(printed.Count("\nHELPER ") - tables_before, lines);
}

#if defined(BULKHEAD_OS_LINUX)
// The host's resident memory, from /proc; 0 when unknown.
size_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    size_t kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %zu kB", &kb) == 1) return kb * 1024;
  }
  return 0;
}

// A line without end (`cat /dev/zero | browser_host`) is not kept whole: it
// is no command, and says so. Before, the reader kept every byte of it.
TEST(CommandReaderTest, AnEndlessLineDoesNotFillTheHostsMemory) {
  int in[2];
  int out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = SpawnBrowserHost(in, out);
  ASSERT_GT(pid, 0);
  PipeDrain printed(out[0]);
  EXPECT_TRUE(printed.WaitFor("Commands:", absl::Seconds(60)));
  const size_t before = ResidentBytes(pid);
  // 256 MiB of one line, written whole only once the host has read all but a
  // pipe's worth of it.
  const std::string chunk(size_t{1} << 20, 'x');
  for (int i = 0; i < 256; ++i) {
    for (size_t done = 0; done < chunk.size();) {
      const ssize_t n = write(in[1], chunk.data() + done, chunk.size() - done);
      if (n < 0 && errno == EINTR) continue;
      ASSERT_GT(n, 0) << std::strerror(errno);
      done += static_cast<size_t>(n);
    }
  }
  const size_t after = ResidentBytes(pid);
  EXPECT_LT(after, before + (size_t{64} << 20))
      << "the host grew from " << before << " to " << after << " bytes";
  const std::string rest = "\nquit\n";
  ASSERT_EQ(write(in[1], rest.data(), rest.size()),
            static_cast<ssize_t>(rest.size()));
  close(in[1]);
  EXPECT_TRUE(printed.WaitFor("", absl::Seconds(60)));
  EXPECT_NE(printed.Tail(4096).find("too long for a command"),
            std::string::npos)
      << printed.Tail(4096);
  EXPECT_NE(printed.Tail(4096).find("Shutting down (quit)"), std::string::npos);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}
#endif  // BULKHEAD_OS_LINUX

}  // namespace
}  // namespace bulkhead
