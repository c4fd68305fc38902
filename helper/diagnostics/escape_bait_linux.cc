// The escape bait (helper/diagnostics/escape_attempts.h) and the attempts
// through it:
//   prelockdown-fd-inet-socket, prelockdown-fd-unix-socket,
//   prelockdown-fd-pipe, prelockdown-fd-eventfd, prelockdown-fd-memfd,
//   prelockdown-fd-dev-null, prelockdown-fd-file, prelockdown-fd-directory,
//   prelockdown-thread-capabilities, prelockdown-thread-open-file.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "helper/diagnostics/escape_attempts.h"
#include "helper/diagnostics/escape_probe_linux.h"
#include "sandbox/lockdown.h"

namespace bulkhead {

// One descriptor opened before the lockdown, and which file it named then.
struct BaitDescriptor {
  const char* name;  // "prelockdown-fd-pipe", ...
  int fd = -1;
  dev_t device = 0;
  ino_t inode = 0;
  std::string failure;  // Why it could not be opened; then `fd` is -1.
};

struct EscapeBait::State {
  std::vector<BaitDescriptor> descriptors;
  int pipe_read_end = -1;  // Closed with the rest; not tried.
  bool lockdown_ran = false;

  // The thread: runs one task at a time for the suite until told to end.
  std::thread thread;
  std::mutex mutex;
  std::condition_variable changed;
  std::function<void()> task;  // Guarded by `mutex`; empty when idle.
  bool quit = false;           // Guarded by `mutex`.
  bool alive = false;
  std::string refusal;  // The lockdown's refusal while it ran, if any.

  void Serve() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return quit || task; });
      if (quit) return;
      task();
      task = nullptr;
      changed.notify_all();
    }
  }

  // Runs `fn` on the thread and waits for it.
  void RunOnThread(const std::function<void()>& fn) {
    std::unique_lock<std::mutex> lock(mutex);
    task = fn;
    changed.notify_all();
    changed.wait(lock, [&] { return !task; });
  }

  void EndThread() {
    if (!alive) return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      quit = true;
    }
    changed.notify_all();
    thread.join();
    alive = false;
  }
};

namespace {

void Record(std::vector<BaitDescriptor>& out, const char* name, int fd,
            const char* what) {
  BaitDescriptor descriptor;
  descriptor.name = name;
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    descriptor.failure = absl::StrCat(
        "could not open ", what,
        " before the lockdown: ", escape_internal::ErrorName(errno));
    if (fd >= 0) ::close(fd);
  } else {
    descriptor.fd = fd;
    descriptor.device = st.st_dev;
    descriptor.inode = st.st_ino;
  }
  out.push_back(std::move(descriptor));
}

}  // namespace

EscapeBait::EscapeBait(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

EscapeBait::~EscapeBait() {
  state_->EndThread();
  if (state_->lockdown_ran) return;
  for (const BaitDescriptor& descriptor : state_->descriptors) {
    if (descriptor.fd >= 0) ::close(descriptor.fd);
  }
  if (state_->pipe_read_end >= 0) ::close(state_->pipe_read_end);
}

std::unique_ptr<EscapeBait> EscapeBait::Plant() {
  auto state = std::make_unique<State>();
  std::vector<BaitDescriptor>& fds = state->descriptors;
  // Not close-on-exec, as careless code opens them.
  Record(fds, "prelockdown-fd-inet-socket", ::socket(AF_INET, SOCK_STREAM, 0),
         "an AF_INET socket");
  Record(fds, "prelockdown-fd-unix-socket", ::socket(AF_UNIX, SOCK_STREAM, 0),
         "an AF_UNIX socket");
  int pipe_fds[2] = {-1, -1};
  if (::pipe(pipe_fds) == 0) state->pipe_read_end = pipe_fds[0];
  Record(fds, "prelockdown-fd-pipe", pipe_fds[1], "a pipe");
  Record(fds, "prelockdown-fd-eventfd", ::eventfd(0, 0), "an eventfd");
  const int memfd =
      static_cast<int>(::syscall(SYS_memfd_create, "bulkhead-bait", 0));
  if (memfd >= 0 && ::write(memfd, "bait", 4) != 4) {
    // Reported below: a read finds nothing.
  }
  Record(fds, "prelockdown-fd-memfd", memfd, "a memfd");
  const int dev_null = ::open("/dev/null", O_RDWR);
  Record(fds, "prelockdown-fd-dev-null", dev_null >= 0 ? ::dup(dev_null) : -1,
         "a copy of /dev/null");
  if (dev_null >= 0) ::close(dev_null);
  Record(fds, "prelockdown-fd-file", ::open("/etc/passwd", O_RDONLY),
         "/etc/passwd");
  Record(fds, "prelockdown-fd-directory", ::open("/", O_RDONLY | O_DIRECTORY),
         "/");
  State* raw = state.get();
  raw->alive = true;
  raw->thread = std::thread([raw] { raw->Serve(); });
  return std::unique_ptr<EscapeBait>(new EscapeBait(std::move(state)));
}

absl::Status EscapeBait::LockDownBeside(
    absl::FunctionRef<absl::Status()> lockdown) {
  state_->lockdown_ran = true;
  absl::Status status = lockdown();
  if (!sandbox::IsMultiThreadedRefusal(status)) return status;
  state_->refusal = std::string(status.message());
  state_->EndThread();
  return lockdown();
}

namespace escape_internal {
namespace {

// The same file as when planted, or why not.
std::optional<EscapeAttempt> Closed(const BaitDescriptor& descriptor) {
  struct stat st;
  if (::fstat(descriptor.fd, &st) != 0) {
    if (errno == EBADF) {
      return EscapeAttempt{descriptor.name, true,
                           absl::StrCat("EBADF: fd ", descriptor.fd,
                                        " was closed by the lockdown")};
    }
    return std::nullopt;  // Unknown (a trap?): let the attempt tell.
  }
  if (st.st_dev != descriptor.device || st.st_ino != descriptor.inode) {
    return EscapeAttempt{
        descriptor.name, true,
        absl::StrCat("closed by the lockdown: fd ", descriptor.fd,
                     " now names another file")};
  }
  return std::nullopt;
}

long ConnectTo(int fd, const sockaddr* address, socklen_t size) {
  const timeval timeout = {5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  return ::connect(fd, address, size);
}

EscapeAttempt ThroughDescriptor(const BaitDescriptor& descriptor,
                                const EscapeTargets& targets) {
  const std::string name = descriptor.name;
  if (descriptor.fd < 0) return Skipped(name, descriptor.failure);
  if (std::optional<EscapeAttempt> closed = Closed(descriptor)) {
    return *closed;
  }
  const int fd = descriptor.fd;
  if (name == "prelockdown-fd-inet-socket") {
    if (targets.tcp_port == 0) return Skipped(name, "no tcp_port");
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(targets.tcp_port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return Plain(name, Try([&] {
                   return ConnectTo(fd,
                                    reinterpret_cast<const sockaddr*>(&address),
                                    sizeof(address));
                 }),
                 absl::StrCat("connected to 127.0.0.1:", targets.tcp_port,
                              " through it"));
  }
  if (name == "prelockdown-fd-unix-socket") {
    const std::string& target = targets.abstract_socket_name;
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    if (target.empty() || target.size() + 1 >= sizeof(address.sun_path)) {
      return Skipped(name, "no abstract_socket_name");
    }
    std::memcpy(address.sun_path + 1, target.data(), target.size());
    const socklen_t size = static_cast<socklen_t>(
        offsetof(sockaddr_un, sun_path) + 1 + target.size());
    return Plain(
        name, Try([&] {
          return ConnectTo(fd, reinterpret_cast<const sockaddr*>(&address),
                           size);
        }),
        absl::StrCat("connected to the host's @", target, " through it"));
  }
  if (name == "prelockdown-fd-pipe" || name == "prelockdown-fd-dev-null") {
    return Plain(name, Try([&] { return long{::write(fd, "x", 1)}; }),
                 "wrote through it");
  }
  if (name == "prelockdown-fd-eventfd") {
    const uint64_t one = 1;
    return Plain(name,
                 Try([&] { return long{::write(fd, &one, sizeof(one))}; }),
                 "signalled through it");
  }
  if (name == "prelockdown-fd-memfd" || name == "prelockdown-fd-file") {
    char byte;
    return Plain(name, Try([&] { return long{::pread(fd, &byte, 1, 0)}; }),
                 "read through it");
  }
  // The directory: the classic way out of a chroot.
  return Plain(name, Try([&] {
                 const int file = ::openat(fd, "etc/passwd", O_RDONLY);
                 if (file >= 0) ::close(file);
                 return long{file};
               }),
               "opened etc/passwd relative to it");
}

}  // namespace

void AppendBaitAttempts(const EscapeTargets& targets, const EscapeBait* bait,
                        std::vector<EscapeAttempt>& out) {
  static constexpr const char* kDescriptorNames[] = {
      "prelockdown-fd-inet-socket", "prelockdown-fd-unix-socket",
      "prelockdown-fd-pipe",        "prelockdown-fd-eventfd",
      "prelockdown-fd-memfd",       "prelockdown-fd-dev-null",
      "prelockdown-fd-file",        "prelockdown-fd-directory"};
  static constexpr const char* kThreadNames[] = {
      "prelockdown-thread-capabilities", "prelockdown-thread-open-file"};
  if (bait == nullptr) {
    for (const char* name : kDescriptorNames) {
      out.push_back(Skipped(name, "no bait planted before the lockdown"));
    }
    for (const char* name : kThreadNames) {
      out.push_back(Skipped(name, "no bait planted before the lockdown"));
    }
    return;
  }
  // The bait is const to callers; only its thread's queue changes.
  auto& state = const_cast<EscapeBait::State&>(bait->state());
  for (const BaitDescriptor& descriptor : state.descriptors) {
    out.push_back(ThroughDescriptor(descriptor, targets));
  }
  if (!state.alive) {
    const std::string why =
        state.refusal.empty()
            ? std::string("REFUSED: the thread had ended")
            : absl::StrCat("REFUSED: the lockdown would not run beside it (",
                           state.refusal, ")");
    for (const char* name : kThreadNames) out.push_back({name, true, why});
    return;
  }
  // From the thread itself: what it kept.
  __user_cap_data_struct caps[2] = {};
  SyscallResult capget;
  SyscallResult opened;
  state.RunOnThread([&] {
    capget = Try([&] {
      __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
      return ::syscall(SYS_capget, &header, caps);
    });
    opened = Try([] {
      const int fd = ::open("/etc/passwd", O_RDONLY);
      if (fd >= 0) ::close(fd);
      return long{fd};
    });
  });
  const uint64_t effective =
      caps[0].effective | (static_cast<uint64_t>(caps[1].effective) << 32);
  const uint64_t permitted =
      caps[0].permitted | (static_cast<uint64_t>(caps[1].permitted) << 32);
  if (capget.value != 0) {
    out.push_back(
        {kThreadNames[0], false,
         absl::StrCat("UNKNOWN: capget failed (", FailureText(capget), ")")});
  } else if (effective != 0 || permitted != 0) {
    out.push_back({kThreadNames[0], false,
                   absl::StrCat("SUCCEEDED: it kept capabilities (effective 0x",
                                absl::Hex(effective), ", permitted 0x",
                                absl::Hex(permitted), ")")});
  } else {
    out.push_back({kThreadNames[0], true, "no capabilities"});
  }
  out.push_back(Plain(kThreadNames[1], opened, "it opened /etc/passwd"));
}

}  // namespace escape_internal
}  // namespace bulkhead
