// browser_host's stdin, run for real: the commands it reads are bounded by the
// commands it carries out. POSIX: the test drives the pipes itself.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

extern char** environ;

namespace bulkhead {
namespace {

// Reads `fd` into `out` until `marker` is in it, end of file, or `deadline`.
bool ReadUntil(int fd, const std::string& marker, absl::Time deadline,
               std::string& out) {
  char buffer[4096];
  while (out.find(marker) == std::string::npos) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, static_cast<int>(absl::ToInt64Milliseconds(left))) <
        0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (readable.revents == 0) continue;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

// Reads `fd` into `out` until end of file or `deadline`.
bool ReadToEnd(int fd, absl::Time deadline, std::string& out) {
  char buffer[4096];
  while (absl::Now() < deadline) {
    pollfd readable{fd, POLLIN, 0};
    const int timeout_ms =
        static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (poll(&readable, 1, timeout_ms > 0 ? timeout_ms : 0) <= 0) continue;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0;
    out.append(buffer, static_cast<size_t>(n));
  }
  return false;
}

// Input given faster than the host carries it out (`yes status |
// browser_host`) waits in the pipe, not in the host: here the host is held up
// writing its tables to a stdout nobody reads, and its stdin fills. Before,
// a thread read every line at once and queued it for the loop: the host's
// memory grew without bound (17 GB in ten minutes of `yes status`), and
// SIGTERM waited behind the whole backlog.
TEST(CommandReaderTest, InputWaitsInThePipeWhileTheHostIsBusy) {
  int in[2];
  int out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
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
  ASSERT_EQ(posix_spawn(&pid, program, &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);

  // The first round of work is done and the commands are listed.
  std::string printed;
  ASSERT_TRUE(
      ReadUntil(out[0], "Commands:", absl::Now() + absl::Seconds(60), printed))
      << printed;
  // From now on stdout is not read: the host blocks on it after a few tables.
  // Write commands until the pipe stays full (no progress for 3 s) or 4 MiB
  // went in.
  ASSERT_EQ(fcntl(in[1], F_SETFL, O_NONBLOCK), 0);
  std::string chunk;
  for (int i = 0; i < 1000; ++i) chunk += "status\n";
  constexpr size_t kFlood = size_t{4} << 20;
  size_t written = 0;
  absl::Time progressed = absl::Now();
  while (written < kFlood && absl::Now() - progressed < absl::Seconds(3)) {
    const ssize_t n = write(in[1], chunk.data(), chunk.size());
    if (n > 0) {
      written += static_cast<size_t>(n);
      progressed = absl::Now();
      continue;
    }
    ASSERT_TRUE(errno == EAGAIN || errno == EINTR) << std::strerror(errno);
    pollfd writable{in[1], POLLOUT, 0};
    poll(&writable, 1, 100);
  }
  // The pipe's buffer, stdin's and a few lines: far below the flood.
  EXPECT_LT(written, size_t{1} << 20)
      << "the host read " << written << " bytes of commands ahead";
  if (written >= size_t{1} << 20) {
    // Millions of tables queued: do not wait for them.
    kill(pid, SIGKILL);
  }
  // End of input: the host carries out what it read, then shuts down.
  close(in[1]);
  std::string rest;
  EXPECT_TRUE(ReadToEnd(out[0], absl::Now() + absl::Seconds(120), rest));
  EXPECT_NE(rest.find("Shutting down (end of input)"), std::string::npos)
      << rest.substr(rest.size() > 2000 ? rest.size() - 2000 : 0);
  close(out[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace bulkhead
