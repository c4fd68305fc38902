// Linux: the zygote is posix_spawn'ed with its socket at fd 3; helpers are
// forked by it with CLONE_PARENT and watched here through their pidfds, like
// the helpers uv_spawn starts (launcher.cc).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/os_error.h"
#include "common/status_macros.h"
#include "common/switches.h"
#include "helper/zygote_wire_linux.h"
#include "host/launch/exit_watch.h"
#include "host/launch/helper_environment.h"
#include "host/launch/launch_support_linux.h"
#include "host/launch/launcher_thread.h"
#include "host/launch/zygote_host.h"
#include "ipc/proto/zygote.pb.h"

namespace bulkhead {
namespace {

// A helper the zygote forked: this process's child, watched by its pidfd.
class ForkedChildProcess final : public OwnChildProcess {
 public:
  ForkedChildProcess(uv_loop_t* loop, int64_t pid) : OwnChildProcess(loop) {
    set_pid(pid);
  }

  ~ForkedChildProcess() override {
    watch_.reset();
    KillAndSweep();
  }

  bool forked() const override { return true; }

  absl::Status Watch(uv_loop_t* loop) {
    watch_ = WatchChildExit(loop, pid(), [this](int64_t status, int signal) {
      Reaped(status, signal);
    });
    if (watch_ == nullptr) {
      return absl::InternalError("cannot watch the forked helper's pidfd");
    }
    return absl::OkStatus();
  }

  // Once Watch succeeded; the exit news comes on the loop, never before.
  using OwnChildProcess::set_on_exit;

 private:
  std::unique_ptr<ExitWatch> watch_;
};

// Whether `pid` is a child of this process that has not been reaped.
bool IsUnreapedChild(int64_t pid) {
  siginfo_t info = {};
  return pid > 0 && pid <= INT32_MAX &&
         ::waitid(P_PID, static_cast<id_t>(pid), &info,
                  WEXITED | WNOHANG | WNOWAIT) == 0;
}

void KillAndReap(pid_t pid) {
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// The zygote's pid, or why it did not start; `control` is its end of the
// socket, placed at fd 3.
// ZygoteHost::SetExtraEnvironmentForTesting's entries.
std::mutex extra_environment_mutex;
std::vector<std::string>& ExtraEnvironmentLocked() {
  static std::vector<std::string>* entries = new std::vector<std::string>;
  return *entries;
}
std::vector<std::string> ExtraEnvironment() {
  std::lock_guard<std::mutex> lock(extra_environment_mutex);
  return ExtraEnvironmentLocked();
}

absl::StatusOr<pid_t> SpawnZygote(const std::string& executable,
                                  const ScopedHandle& control) {
  std::vector<std::string> args = {
      executable,
      absl::StrCat("--", switches::kType, "=", switches::kZygoteType),
      absl::StrCat("--", switches::kIpcFd, "=3"),
      absl::StrCat("--", switches::kZygoteTitleSpace, "=",
                   std::string(kZygoteTitleSpace, '.'))};
  // The zygote binds every symbol at its exec (ld.so's LD_BIND_NOW), so its
  // helpers find their PLT resolved: each would otherwise resolve on its own,
  // reading the libraries' symbol tables and copying GOT pages, all of which
  // it then has to unmap when it dies. Helpers never see the variable in
  // their environ: each takes its own environment from its ZygoteFork.
  // Otherwise the zygote starts as clean as a helper (helper_environment.h):
  // a forked helper inherits its memory, the strings of the environment it
  // was exec'd with among it (what /proc/<pid>/environ shows), so none of
  // the host's own may be there.
  std::vector<std::string> variables =
      HelperEnvironment(ExtraEnvironment(), /*sandboxed=*/false);
  variables.push_back("LD_BIND_NOW=1");
  std::vector<char*> envp;
  for (std::string& variable : variables) envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, control.get(), 3);
  // As uv_spawn: every signal at its default, none blocked.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  // Its own session, as uv_spawn's detached helpers: a terminal's SIGINT or
  // SIGHUP is the host's to act on.
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  const int error = ::posix_spawn(&pid, executable.c_str(), &actions,
                                  &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    return PosixErrorToStatus(error, absl::StrCat("posix_spawn ", executable));
  }
  return pid;
}

}  // namespace

bool ZygoteHost::Available() {
  // ThreadSanitizer's runtime keeps a thread of its own, which a raw clone
  // cannot carry into the child.
#if defined(__SANITIZE_THREAD__)
  return false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return false;
#endif
#endif
  // Forked helpers are no libuv processes: the exit watch is their only news.
  return ExitWatchAvailable();
}

absl::StatusOr<int64_t> ReadForkReply(absl::string_view bytes, size_t fd_count,
                                      int64_t zygote_pid) {
  ipc::ZygoteReply reply;
  if (fd_count != 0 ||
      !reply.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("it answered a fork with garbage");
  }
  // It refused this one request (e.g. a command line longer than its own):
  // it stays, and this helper is exec'd.
  if (!reply.error().empty() && reply.pid() == 0) {
    return absl::UnavailableError(reply.error());
  }
  // Check what can be checked: the pid must be a child of ours that has not
  // been reaped, or signalling it later could hit a stranger, and not the
  // zygote itself. (A zygote runs the host's own code with the host's
  // rights, unsandboxed: these checks catch a broken one, not a hostile one.)
  if (!reply.error().empty() || reply.pid() == zygote_pid ||
      !IsUnreapedChild(reply.pid())) {
    return absl::DataLossError(absl::StrCat("it answered pid ", reply.pid(),
                                            " (", reply.error(),
                                            "), not a new child of ours"));
  }
  return reply.pid();
}

absl::StatusOr<std::unique_ptr<ZygoteHost>> ZygoteHost::Start(
    uv_loop_t* loop, const std::string& executable, absl::Duration timeout) {
  BH_ASSIGN_OR_RETURN(auto sockets, CreateZygoteSocketPair());
  // Started on the launcher thread, which lives as long as this process: the
  // zygote's parent-death signal, and its helpers' (CLONE_PARENT makes them
  // that thread's children too), follow the thread that spawned it.
  absl::StatusOr<pid_t> spawned = absl::UnknownError("not run");
  RunOnLauncherThread(
      [&] { spawned = SpawnZygote(executable, sockets.second); });
  BH_ASSIGN_OR_RETURN(const pid_t pid, spawned);
  sockets.second.reset();
  absl::StatusOr<ZygotePacket> hello =
      ReceiveZygotePacket(sockets.first.get(), absl::Now() + timeout);
  ipc::ZygoteReply reply;
  if (hello.ok() && hello->fds.empty() && reply.ParseFromString(hello->bytes) &&
      reply.pid() == pid && reply.error().empty()) {
    std::unique_ptr<ZygoteHost> zygote(
        new ZygoteHost(executable, pid, std::move(sockets.first)));
    ZygoteHost* self = zygote.get();
    zygote->watch_ = WatchChildExit(
        loop, pid,
        [self](int64_t status, int signal) { self->Ended(status, signal); });
    return zygote;
  }
  KillAndReap(pid);
  const std::string why =
      hello.ok() && !reply.error().empty() ? reply.error()
      : hello.ok() ? "it answered with something else than its pid"
      : absl::IsUnavailable(hello.status())
          ? absl::StrCat("it ended first: does ", executable,
                         " call MaybeRunHelper?")
          : std::string(hello.status().message());
  return absl::UnavailableError(absl::StrCat("no zygote: ", why));
}

ZygoteHost::ZygoteHost(std::string executable, int64_t pid,
                       ScopedHandle control)
    : executable_(std::move(executable)),
      pid_(pid),
      control_(std::move(control)) {}

ZygoteHost::~ZygoteHost() {
  watch_.reset();
  control_.reset();  // It leaves on end-of-file; SIGKILL makes sure.
  if (!reaped_) KillAndReap(static_cast<pid_t>(pid_));
}

void ZygoteHost::Ended(int64_t exit_status, int term_signal) {
  reaped_ = true;
  control_.reset();
  BH_LOG(kWarning, "zygote (pid ", pid_, ") ended (",
         term_signal != 0 ? absl::StrCat("signal ", term_signal)
                          : absl::StrCat("exit code ", exit_status),
         "); helpers are exec'd from now on");
}

absl::Status ZygoteHost::Fail(const absl::Status& why) {
  if (alive()) {
    BH_LOG(kWarning, "zygote (pid ", pid_, ") given up: ", why.message(),
           "; helpers are exec'd from now on");
    watch_.reset();
    if (!reaped_) KillAndReap(static_cast<pid_t>(pid_));
    reaped_ = true;
    // A helper it forked but answered for too late is ours, and no one
    // else's to end: its pid may still wait in the socket.
    for (;;) {
      absl::StatusOr<ZygotePacket> late =
          ReceiveZygotePacket(control_.get(), absl::InfinitePast());
      if (!late.ok()) break;
      ipc::ZygoteReply reply;
      if (reply.ParseFromString(late->bytes) && IsUnreapedChild(reply.pid()) &&
          reply.pid() != pid_) {
        KillAndReapNow(reply.pid());
      }
    }
    control_.reset();
  }
  return absl::UnavailableError(absl::StrCat("zygote: ", why.message()));
}

void ZygoteHost::SetExtraEnvironmentForTesting(
    std::vector<std::string> entries) {
  std::lock_guard<std::mutex> lock(extra_environment_mutex);
  ExtraEnvironmentLocked() = std::move(entries);
}

absl::StatusOr<int64_t> ZygoteHost::Fork(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& environment, const std::vector<int>& fds,
    const std::vector<int>& targets) {
  if (!alive()) return absl::UnavailableError("the zygote has ended");
  ipc::ZygoteFork request = NewZygoteFork(argv, environment, targets);
  if (request.ByteSizeLong() > kMaxZygotePacketBytes) {
    return absl::UnavailableError("the command line is too long to send");
  }
  if (absl::Status sent = SendZygotePacket(control_.get(), request, fds);
      !sent.ok()) {
    return Fail(sent);
  }
  absl::StatusOr<ZygotePacket> answer = ReceiveZygotePacket(
      control_.get(), absl::Now() + kZygoteForkReplyTimeout);
  if (!answer.ok()) return Fail(answer.status());
  absl::StatusOr<int64_t> pid =
      ReadForkReply(answer->bytes, answer->fds.size(), pid_);
  if (!pid.ok() && !absl::IsUnavailable(pid.status())) {
    return Fail(pid.status());
  }
  return pid;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ZygoteHost::Spawn(
    uv_loop_t* loop, const std::vector<std::string>& argv,
    const std::vector<std::string>& environment, const ChildStdio& stdio,
    ChildProcess::ExitCallback& on_exit) {
  // The helper's fds, by number; the host keeps the other end of each pipe.
  std::vector<int> fds, targets;
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return absl::UnavailableError("cannot open /dev/null");
  ScopedHandle dev_null(null_fd);
  fds.push_back(dev_null.get());
  targets.push_back(0);
  absl::StatusOr<HandlePair> channel = CreateStreamPair();
  if (!channel.ok()) return absl::UnavailableError(channel.status().message());
  PipeEnds out, err, crash;
  struct Stream {
    uv_pipe_t* pipe;
    PipeEnds* ends;
    int inherited;  // Without a pipe: the host's own fd.
    int target;
    const char* what;
  };
  Stream streams[] = {{stdio.stdout_pipe, &out, 1, 1, "stdout"},
                      {stdio.stderr_pipe, &err, 2, 2, "stderr"},
                      {stdio.crash_pipe, &crash, -1, kHelperCrashFd, "crash"}};
  for (Stream& stream : streams) {
    if (stream.pipe != nullptr) {
      absl::StatusOr<PipeEnds> pipe = MakePipe(O_CLOEXEC);
      if (!pipe.ok()) return absl::UnavailableError(pipe.status().message());
      *stream.ends = *std::move(pipe);
      fds.push_back(stream.ends->write.get());
    } else if (stream.inherited >= 0) {
      fds.push_back(stream.inherited);
    } else {
      continue;
    }
    targets.push_back(stream.target);
  }
  fds.push_back(channel->second.get());
  targets.push_back(kHelperChannelFd);
  if (stdio.handle_socket >= 0) {
    fds.push_back(stdio.handle_socket);
    targets.push_back(kHelperHandleFd);
  }
  BH_ASSIGN_OR_RETURN(const int64_t pid, Fork(argv, environment, fds, targets));
  // From here a failure returns, and `child`'s destructor kills and reaps it.
  auto child = std::make_unique<ForkedChildProcess>(loop, pid);
  if (absl::Status watched = child->Watch(loop); !watched.ok()) {
    return absl::UnavailableError(watched.message());  // `stdio` is unused.
  }
  // Never Unavailable from here: `stdio` is in use.
  absl::Status adopted =
      OpenInLibuv(stdio.channel, std::move(channel->first), "channel");
  for (Stream& stream : streams) {
    if (!adopted.ok() || stream.pipe == nullptr) continue;
    adopted =
        OpenInLibuv(stream.pipe, std::move(stream.ends->read), stream.what);
  }
  if (!adopted.ok()) return absl::InternalError(adopted.message());
  child->set_on_exit(std::move(on_exit));
  return child;
}

std::vector<std::string> ZygoteHost::ExtraEnvironmentForTesting() {
  return ExtraEnvironment();
}

bool ZygoteAvailable() { return ZygoteHost::Available(); }

}  // namespace bulkhead
