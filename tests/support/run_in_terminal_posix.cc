#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "absl/time/clock.h"
#include "common/fd_passing_posix.h"
#include "common/os_error.h"
#include "common/platform_handle.h"
#include "tests/support/run_in_terminal.h"

extern char** environ;

namespace bulkhead::testing {
namespace {

// This process's environment with `run`'s changes, as "NAME=value" strings.
std::vector<std::string> ChildEnvironment(const TerminalRun& run) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const size_t eq = text.find('=');
    if (eq != std::string::npos) env[text.substr(0, eq)] = text.substr(eq + 1);
  }
  for (const std::string& name : run.unset_env) env.erase(name);
  for (const auto& [name, value] : run.env) env[name] = value;
  std::vector<std::string> strings;
  for (const auto& [name, value] : env) strings.push_back(name + "=" + value);
  return strings;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Reads what `master` has now; false at its end (every slave closed).
bool Drain(int master, std::string* screen) {
  char buffer[4096];
  while (true) {
    const ssize_t got = read(master, buffer, sizeof(buffer));
    if (got > 0) {
      screen->append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    // EAGAIN: nothing more for now. EIO (Linux) or 0: no slave left open.
    return got < 0 && errno == EAGAIN;
  }
}

}  // namespace

absl::StatusOr<TerminalOutput> RunInTerminal(const TerminalRun& run,
                                             absl::Duration timeout) {
  ScopedHandle master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.is_valid()) return LastPosixErrorToStatus("posix_openpt");
  if (grantpt(master.get()) != 0 || unlockpt(master.get()) != 0) {
    return LastPosixErrorToStatus("grantpt/unlockpt");
  }
  const char* slave_name = ptsname(master.get());
  if (slave_name == nullptr) return LastPosixErrorToStatus("ptsname");
  ScopedHandle slave(open(slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave.is_valid()) return LastPosixErrorToStatus("open the pty slave");
  struct winsize size = {};
  size.ws_row = static_cast<unsigned short>(run.rows);
  size.ws_col = static_cast<unsigned short>(run.columns);
  if (ioctl(slave.get(), TIOCSWINSZ, &size) != 0) {
    return LastPosixErrorToStatus("TIOCSWINSZ");
  }
  int input[2];
  if (::pipe(input) != 0) return LastPosixErrorToStatus("pipe");
  if (!SetCloseOnExec(input[0]) || !SetCloseOnExec(input[1])) {
    const absl::Status error = LastPosixErrorToStatus("fcntl(FD_CLOEXEC)");
    ::close(input[0]);
    ::close(input[1]);
    return error;
  }
  ScopedHandle input_read(input[0]);
  ScopedHandle input_write(input[1]);

  // Everything exec needs, made before the fork: the child may only make
  // async-signal-safe calls (this process has threads).
  std::vector<std::string> args = run.argv;
  std::vector<char*> argv = Pointers(args);
  std::vector<std::string> env = ChildEnvironment(run);
  std::vector<char*> envp = Pointers(env);
  const pid_t pid = fork();
  if (pid < 0) return LastPosixErrorToStatus("fork");
  if (pid == 0) {
    // A session of its own, the pty its controlling terminal.
    setsid();
    ioctl(slave.get(), TIOCSCTTY, 0);
    dup2(input_read.get(), STDIN_FILENO);
    dup2(slave.get(), STDOUT_FILENO);
    dup2(slave.get(), STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  slave.reset();
  input_read.reset();
  // The input is small: it fits the pipe, so this does not block.
  if (!run.input.empty() &&
      write(input_write.get(), run.input.data(), run.input.size()) !=
          static_cast<ssize_t>(run.input.size())) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return LastPosixErrorToStatus("write the input");
  }
  input_write.reset();
  fcntl(master.get(), F_SETFL, fcntl(master.get(), F_GETFL) | O_NONBLOCK);

  TerminalOutput output;
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  bool exited = false;
  bool open = true;
  while (!exited) {
    if (open) open = Drain(master.get(), &output.screen);
    const pid_t waited = waitpid(pid, &status, WNOHANG);
    if (waited == pid) {
      exited = true;
      break;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return absl::DeadlineExceededError("the program did not exit in time: " +
                                         output.screen);
    }
    // Woken by output; at most every 20 ms to see whether it exited.
    pollfd poll_fd = {.fd = master.get(), .events = POLLIN, .revents = 0};
    poll(&poll_fd, open ? 1 : 0,
         static_cast<int>(
             std::min<int64_t>(20, absl::ToInt64Milliseconds(left) + 1)));
  }
  // What it wrote before it exited is in the terminal's buffer already.
  if (open) Drain(master.get(), &output.screen);
  if (WIFEXITED(status)) output.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) output.term_signal = WTERMSIG(status);
  return output;
}

}  // namespace bulkhead::testing
