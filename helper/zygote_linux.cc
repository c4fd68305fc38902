#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/close_fds_linux.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "common/switches.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/message.h"
#include "helper/crash_handler.h"
#include "helper/exit_codes.h"
#include "helper/helper_main.h"
#include "helper/parent_watch.h"
#include "helper/zygote.h"
#include "helper/zygote_process_linux.h"
#include "helper/zygote_wire_linux.h"
#include "ipc/proto/zygote.pb.h"

namespace bulkhead {
namespace {

// The helper's fds are numbered below this; they are staged at or above it.
constexpr int kFdLimit = 64;
constexpr int kMaxArgs = 1024;

// Every helper forked later is a copy of the zygote's memory, freed heap
// included: what one launch sent (its environment may hold the app's secrets
// for that helper alone, and its arguments too) is zeroed before it is freed,
// so that the next helper, of any role, cannot read it there.
void Wipe(std::string& text) {
  if (!text.empty()) ::explicit_bzero(text.data(), text.size());
}

void WipeRequest(ForkRequest& request) {
  for (std::string& arg : request.argv) Wipe(arg);
  for (std::string& variable : request.environment) Wipe(variable);
  Wipe(request.working_directory);
}

}  // namespace

absl::StatusOr<ForkRequest> ParseForkRequest(ZygotePacket packet) {
  ipc::ZygoteFork fork;
  // The packet and its parse are copied into the request (or refused): either
  // way they are wiped before they are freed (see Wipe).
  struct WipeOnReturn {
    ZygotePacket& packet;
    ipc::ZygoteFork& fork;
    ~WipeOnReturn() {
      Wipe(packet.bytes);
      for (std::string& arg : *fork.mutable_argv()) Wipe(arg);
      for (std::string& variable : *fork.mutable_environment()) Wipe(variable);
      Wipe(*fork.mutable_working_directory());
    }
  } wipe{packet, fork};
  if (!fork.ParseFromString(packet.bytes)) {
    return absl::InvalidArgumentError("not a ZygoteFork message");
  }
  if (fork.argv_size() < 2 || fork.argv_size() > kMaxArgs) {
    return absl::InvalidArgumentError(absl::StrCat("a helper's argv has 2 to ",
                                                   kMaxArgs, " entries; got ",
                                                   fork.argv_size()));
  }
  if (static_cast<size_t>(fork.target_fds_size()) != packet.fds.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ZygoteFork names ", fork.target_fds_size(),
                     " fd numbers but carries ", packet.fds.size(), " fds"));
  }
  bool taken[kFdLimit] = {};
  for (int target : fork.target_fds()) {
    if (target < 0 || target >= kFdLimit || taken[target]) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad or repeated helper fd number ", target, " (0 to ",
                       kFdLimit - 1, ", each once)"));
    }
    taken[target] = true;
  }
  ForkRequest request;
  request.argv.assign(fork.argv().begin(), fork.argv().end());
  request.environment.assign(fork.environment().begin(),
                             fork.environment().end());
  request.working_directory = fork.working_directory();
  std::vector<const char*> args;
  for (const std::string& arg : request.argv) args.push_back(arg.c_str());
  const CommandLine line =
      CommandLine::Parse(static_cast<int>(args.size()), args.data());
  const std::optional<std::string> type = line.Get(switches::kType);
  if (!type.has_value() || *type == switches::kZygoteType) {
    return absl::InvalidArgumentError(
        "a forked helper needs a --type, and not another zygote's");
  }
  if (fork.go_fd() > 0) {
    if (fork.go_fd() >= kFdLimit || !taken[fork.go_fd()]) {
      return absl::InvalidArgumentError(
          absl::StrCat("go_fd ", fork.go_fd(), " is none of the packet's fds"));
    }
    request.go_fd = fork.go_fd();
  }
  request.new_mount_namespace = fork.new_mount_namespace();
  request.fds = std::move(packet.fds);
  request.targets.assign(fork.target_fds().begin(), fork.target_fds().end());
  return request;
}

namespace {

// In the forked child: the request's fds become exactly the helper's fds,
// signals are as after an exec, and the helper runs.
int RunForkedHelper(ForkRequest request, ProcessTitle& title,
                    const RoleRegistry& registry) {
  // Stage every fd above the targets first, so that no dup3 overwrites a
  // source still to come. A failure here ends the child at once: it is no
  // helper yet, and must not run the zygote's exit handlers.
  std::vector<int> staged;
  for (ScopedHandle& fd : request.fds) {
    staged.push_back(::fcntl(fd.get(), F_DUPFD_CLOEXEC, kFdLimit));
    if (staged.back() < 0) std::_Exit(kExitChannelLost);
  }
  for (size_t i = 0; i < staged.size(); ++i) {
    (void)request.fds[i].release();  // Closed below, with everything else.
    if (::dup3(staged[i], request.targets[i], 0) < 0) {
      std::_Exit(kExitChannelLost);
    }
    ::close(staged[i]);
  }
  // Every other fd, a close_range per gap between the targets.
  bool keep[kFdLimit] = {};
  for (int target : request.targets) keep[target] = true;
  int from = 0;
  for (int fd = 0; fd < kFdLimit; ++fd) {
    if (!keep[fd]) continue;
    if (from < fd) CloseFdRange(from, fd - 1);
    from = fd + 1;
  }
  CloseFdRange(from);
  // A sandboxed zygote's child: its own mount namespace (it is root in the
  // zygote's user namespace, so it may), where its lockdown builds its root.
  if (request.new_mount_namespace && ::unshare(CLONE_NEWNS) != 0) {
    std::_Exit(kExitChannelLost);
  }
  if (request.go_fd >= 0) {
    // The host has put it in its cgroup (or given up: end-of-file).
    char go = 0;
    ssize_t n;
    while ((n = ::read(request.go_fd, &go, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1 || go != 1) std::_Exit(kExitChannelLost);
    ::close(request.go_fd);
  }
  // Its own session and group, as uv_spawn's detached helpers: the host
  // signals and sweeps the group.
  ::setsid();
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) std::signal(signal, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // The environment the host built for this helper (host/launch/
  // helper_environment.h) and the host's directory now, as an exec'd helper
  // would see them, not the zygote's from when it started.
  ::clearenv();
  for (const std::string& variable : request.environment) {
    const size_t equals = variable.find('=');
    if (equals == std::string::npos || equals == 0) continue;
    ::setenv(variable.substr(0, equals).c_str(), variable.c_str() + equals + 1,
             1);
  }
  // clearenv leaves `environ` null, and with nothing set it stays so; after
  // an exec it is never null (an empty list), and code that walks it (a
  // sandboxed helper's environment is often empty) must find it so too.
  static char* empty_environment[] = {nullptr};
  if (environ == nullptr) environ = empty_environment;
  if (!request.working_directory.empty() &&
      ::chdir(request.working_directory.c_str()) != 0) {
    std::_Exit(kExitChannelLost);
  }
  title.Set(request.argv);
  std::vector<const char*> argv;
  for (const std::string& arg : request.argv) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  return MaybeRunHelper(static_cast<int>(request.argv.size()), argv.data(),
                        registry)
      .value_or(kExitUsage);
}

void Reply(int control, int64_t pid, absl::string_view error, int pidfd = -1) {
  ipc::ZygoteReply reply;
  reply.set_pid(pid);
  reply.set_error(std::string(error));
  const int fds[] = {pidfd};
  if (absl::Status sent = SendZygotePacket(
          control, reply,
          pidfd >= 0 ? absl::Span<const int>(fds) : absl::Span<const int>());
      !sent.ok()) {
    BH_LOG(kWarning, "cannot answer the host: ", sent.message());
  }
}

}  // namespace

int RunZygote(int argc, const char* const* argv, const RoleRegistry& registry) {
  SetLogTag("zygote");
  const CommandLine line = CommandLine::Parse(argc, argv);
  const bool sandboxed = line.Has(switches::kSandboxedZygote);
  absl::StatusOr<int64_t> fd = line.GetInt(switches::kIpcFd, 0, INT32_MAX);
  absl::StatusOr<ScopedHandle> control =
      fd.ok() ? AdoptInheritedStream(*fd) : fd.status();
  if (!control.ok()) {
    std::fprintf(stderr, "%s: bad --%s: %s\n", line.program().c_str(),
                 switches::kIpcFd,
                 std::string(control.status().message()).c_str());
    return kExitUsage;
  }
  // As a helper: Ctrl-C is the host's to act on, and the host's death ours.
  std::signal(SIGINT, SIG_IGN);
  if (absl::Status watch = DieWithParent(); !watch.ok()) {
    BH_LOG(kWarning, "cannot tie lifetime to the host: ", watch.message());
  }
  // Nothing of the host's but the standard streams and this socket.
  const int control_fd = control->get();
  for (int fd = 3; fd < control_fd; ++fd) ::close(fd);
  CloseFdRange(control_fd + 1);
  const int threads = OwnThreadCount();
  if (threads != 1) {
    // Refused in the hello: the host then execs every helper.
    Reply(control_fd, ::getpid(),
          absl::StrCat("the zygote runs ", threads,
                       " threads; it may fork only with one (does main start "
                       "threads before MaybeRunHelper?)"));
    return kExitUsage;
  }
  // What every helper's runtime loads on first use, loaded once here for all
  // of them: the crash handler's unwinder (libgcc_s, which backtrace()
  // dlopens), else mapped, relocated and paged in again by each child.
  WarmUpCrashUnwinder();
  // ...and the descriptors of every message compiled in, which protobuf
  // builds on first use (Any, map fields, reflection) from their encoded
  // files: built here once, not parsed and hashed again by every child.
  std::vector<std::string> proto_files;
  if (google::protobuf::DescriptorPool::internal_generated_database()
          ->FindAllFileNames(&proto_files)) {
    for (const std::string& name : proto_files) {
      const google::protobuf::FileDescriptor* file =
          google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
              name);
      // A generated class's reflection is assigned on its first use too.
      for (int i = 0; file != nullptr && i < file->message_type_count(); ++i) {
        (void)google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(file->message_type(i));
      }
    }
  }
  // What start-up freed goes back to the kernel: each fork then copies fewer
  // page-table entries, and no child copies a page of free heap.
  ::malloc_trim(0);
  ProcessTitle title(argc, argv);
  Reply(control_fd, ::getpid(), "");
  for (;;) {
    absl::StatusOr<ZygotePacket> packet =
        ReceiveZygotePacket(control_fd, absl::InfiniteFuture());
    if (absl::IsUnavailable(packet.status())) return 0;  // The host is done.
    if (!packet.ok() && !absl::IsDataLoss(packet.status())) {
      BH_LOG(kError, "zygote socket: ", packet.status().message());
      return 1;  // It will not get better.
    }
    absl::StatusOr<ForkRequest> request =
        packet.ok() ? ParseForkRequest(*std::move(packet)) : packet.status();
    if (request.ok() && !title.Fits(request->argv)) {
      WipeRequest(*request);
      request = absl::ResourceExhaustedError(
          "the helper's command line is longer than the zygote's own");
    }
    if (!request.ok()) {
      Reply(control_fd, 0, request.status().message());
      continue;
    }
    // Nothing buffered may be written twice, by the zygote and the helper.
    std::fflush(nullptr);
    // The child's parent is the host (see zygote.h), or in a sandbox the
    // namespace's init, which tells the host how it ended; then the host
    // watches it through the pidfd sent with its pid. x86-64 and arm64 alike
    // take the pidfd's address third (parent_tid).
    int pidfd = -1;
    const long pid = ::syscall(
        SYS_clone, CLONE_PARENT | SIGCHLD | (sandboxed ? CLONE_PIDFD : 0), 0,
        sandboxed ? &pidfd : nullptr, 0, 0);
    if (pid == 0) {
      ::close(control->release());
      return RunForkedHelper(*std::move(request), title, registry);
    }
    const int clone_errno = errno;
    WipeRequest(*request);  // The child has its copy.
    if (pid < 0) {
      Reply(control_fd, 0, absl::StrCat("clone: ", std::strerror(clone_errno)));
    } else {
      Reply(control_fd, pid, "", pidfd);
      if (pidfd >= 0) ::close(pidfd);
    }
  }
}

}  // namespace bulkhead
