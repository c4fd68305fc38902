#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/command_line.h"
#include "common/switches.h"
#include "helper/zygote_wire_linux.h"
#include "ipc/proto/zygote.pb.h"
#include "tests/support/fake_zygote.h"

namespace bulkhead::testing {
namespace {

// A real child of the fake's parent (CLONE_PARENT, as a sandboxed zygote
// forks), which, as a real one, waits for its go pipe `go_fd` and runs
// nothing: it exits when the host closes it (or, `exit_at_once`, at once).
// Its pid, and its pidfd in `pidfd`.
long ForkIdleChild(int* pidfd, int go_fd, bool exit_at_once) {
  const long pid = ::syscall(SYS_clone, CLONE_PARENT | CLONE_PIDFD | SIGCHLD, 0,
                             pidfd, 0, 0);
  if (pid == 0) {
    char byte;
    if (!exit_at_once && go_fd >= 0) (void)!::read(go_fd, &byte, 1);
    ::_exit(0);
  }
  return pid;
}

// The fd the request names as the child's go pipe, or -1.
int GoFd(const ZygotePacket& request) {
  ipc::ZygoteFork fork;
  if (!fork.ParseFromString(request.bytes) || fork.go_fd() <= 0) return -1;
  for (int i = 0; i < fork.target_fds_size(); ++i) {
    if (fork.target_fds(i) == fork.go_fd() &&
        static_cast<size_t>(i) < request.fds.size()) {
      return request.fds[static_cast<size_t>(i)].get();
    }
  }
  return -1;
}

}  // namespace

std::optional<int> MaybeRunFakeZygote(int argc, char** argv) {
  const char* mode = std::getenv(kFakeZygoteVariable);
  const CommandLine line = CommandLine::Parse(argc, argv);
  if (mode == nullptr || line.Get(switches::kType) != switches::kZygoteType) {
    return std::nullopt;
  }
  const bool sandboxed = line.Has(switches::kSandboxedZygote);
  const int control = 3;
  ipc::ZygoteReply hello;
  hello.set_pid(::getpid());
  if (!SendZygotePacket(control, hello).ok()) return 1;
  const std::string what = mode;
  for (;;) {
    absl::StatusOr<ZygotePacket> request =
        ReceiveZygotePacket(control, absl::InfiniteFuture());
    if (!request.ok()) return 0;  // The host closed its end (or killed us).
    ipc::ZygoteReply reply;
    std::vector<int> fds;
    const int go_fd = GoFd(*request);
    if (what == "own-pid") {
      reply.set_pid(::getpid());
      if (sandboxed) {
        fds.push_back(
            static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
      }
    } else if (what == "host-pid") {
      // In a sandbox: its init.
      reply.set_pid(::getppid());
      if (sandboxed) {
        fds.push_back(
            static_cast<int>(::syscall(SYS_pidfd_open, ::getppid(), 0)));
      }
    } else if (what == "garbage") {
      (void)!::write(control, "\xff\xff\xff", 3);
      continue;
    } else if (what == "with-fd") {
      if (sandboxed) {
        int pidfd = -1;
        reply.set_pid(ForkIdleChild(&pidfd, go_fd, false));
        fds.push_back(pidfd);
        fds.push_back(0);
      } else {
        reply.set_pid(::getpid() + 1);
        fds.push_back(0);
      }
    } else if (sandboxed && what == "wrong-pid") {
      int pidfd = -1;
      reply.set_pid(ForkIdleChild(&pidfd, go_fd, false) + 100);
      fds.push_back(pidfd);
    } else if (sandboxed && what == "no-fd") {
      int pidfd = -1;
      reply.set_pid(ForkIdleChild(&pidfd, go_fd, false));
    } else if (sandboxed && what == "dead-pid") {
      int pidfd = -1;
      reply.set_pid(ForkIdleChild(&pidfd, go_fd, true));
      // Gone before the host looks (a pidfd polls readable once its
      // process has exited).
      pollfd ended = {pidfd, POLLIN, 0};
      (void)::poll(&ended, 1, -1);
      fds.push_back(pidfd);
    } else {
      continue;  // silent
    }
    (void)SendZygotePacket(control, reply, fds);
  }
}

}  // namespace bulkhead::testing
