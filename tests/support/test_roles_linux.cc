// Linux-only test roles (see test_roles.h):
//   violator: makes the system call the request's `text` names ("socket",
//             "ptrace", "mount") and answers with what came of it, if it
//             survives.
//   forker:   forks a child that waits forever and answers with the child's
//             pid as its namespace sees it.
//   escaper:  starts what tries to outlive it: a child that leaves its
//             process group and session (setsid), and whose child
//             double-forks a grandchild that does the same and is orphaned.
//             Both wait forever. Answers "<child> <grandchild>" (pids as its
//             namespace sees them). A request with `text` "crash" or "exit"
//             instead makes the helper itself crash (SIGSEGV) or exit
//             (exit(3)). With "hang-without-sweeper" it first kills its
//             sweeper (helper/descendant_sweep.h), which must end the
//             helper too; were it still alive, it would start the two as
//             usual, answer, and then block its loop for good.
//   fd-starved: on "starve", puts itself at its descriptor limit
//             (FdTableFiller) and answers with how many slots it filled; on
//             "big:<n>", answers with one line of <n> bytes; else answers
//             with the request's text as its one line (a large request, a
//             large reply).
//   threaded: starts a thread before Run() (as a library's pool would) that
//             waits forever; a sandboxed one must fail to launch.
//   fd-keeper: opens two pipes before Run() and keeps one through the
//             lockdown (HelperContext::KeepThroughLockdown); answers with
//             "kept open|closed" and "other open|closed".
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "helper/helper_context.h"
#include "sample_roles/work.pb.h"
#include "tests/support/fd_table_filler.h"
#include "tests/support/test_roles.h"

namespace bulkhead::testing {
namespace {

int ViolatorMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        long result = -1;
        if (request.text() == "socket") {
          result = ::socket(AF_INET, SOCK_STREAM, 0);
        } else if (request.text() == "ptrace") {
          result = ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        } else if (request.text() == "mount") {
          result = ::mount("none", "/", "tmpfs", 0, nullptr);
        } else {
          return absl::InvalidArgumentError("unknown call");
        }
        roles::LayoutTextResponse response;
        response.add_lines(result < 0 ? std::strerror(errno)
                                      : absl::StrCat("returned ", result));
        return response;
      });
  return context.Run();
}

int ForkerMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        const pid_t child = ::fork();
        if (child < 0) return absl::PermissionDeniedError("fork failed");
        if (child == 0) {
          for (;;) ::pause();
        }
        roles::LayoutTextResponse response;
        response.add_lines(absl::StrCat(child));
        return response;
      });
  return context.Run();
}

// Kills this process's children named "bulkhead-sweep" and waits until they
// have ended; false if there was none.
bool KillOwnSweeper() {
  bool killed = false;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    pid_t child = 0;
    while (children >> child) {
      std::ifstream comm(absl::StrCat("/proc/", child, "/comm"));
      std::string name;
      std::getline(comm, name);
      if (name != "bulkhead-sweep") continue;
      ::kill(child, SIGKILL);
      // Exited once waitable (it stays a zombie: no one reaps it here).
      siginfo_t info = {};
      while (::waitid(P_PID, static_cast<id_t>(child), &info,
                      WEXITED | WNOWAIT | __WALL) != 0 &&
             errno == EINTR) {
      }
      killed = true;
    }
  }
  return killed;
}

// Named so that the test host can tell it has begun (test_host.cc).
void HangLoop(uv_timer_t*) {
  ::prctl(PR_SET_NAME, "escaper-hung");
  for (;;) ::pause();
}

int EscaperMain(HelperContext& context) {
  static uv_timer_t hang;
  uv_timer_init(context.loop(), &hang);
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        if (request.text() == "crash") ::raise(SIGSEGV);
        if (request.text() == "exit") std::exit(3);
        const bool hang_later = request.text() == "hang-without-sweeper";
        if (hang_later) {
          if (!KillOwnSweeper()) return absl::NotFoundError("no sweeper");
          // Once the answer has gone out.
          uv_timer_start(&hang, HangLoop, 0, 0);
        }
        int pids[2];
        if (::pipe(pids) != 0) return absl::InternalError("pipe failed");
        const pid_t child = ::fork();
        if (child < 0) return absl::PermissionDeniedError("fork failed");
        if (child == 0) {
          ::close(pids[0]);
          ::setsid();
          const pid_t middle = ::fork();
          if (middle == 0) {
            const pid_t grandchild = ::fork();
            if (grandchild == 0) {
              ::close(pids[1]);
              ::setsid();
              for (;;) ::pause();
            }
            // Orphans the grandchild.
            (void)!::write(pids[1], &grandchild, sizeof(grandchild));
            ::_exit(0);
          }
          ::close(pids[1]);
          ::waitpid(middle, nullptr, 0);
          for (;;) ::pause();
        }
        ::close(pids[1]);
        pid_t grandchild = -1;
        const bool got = ::read(pids[0], &grandchild, sizeof(grandchild)) ==
                         static_cast<ssize_t>(sizeof(grandchild));
        ::close(pids[0]);
        if (!got || grandchild <= 0) {
          return absl::InternalError("no grandchild");
        }
        roles::LayoutTextResponse response;
        response.add_lines(absl::StrCat(child, " ", grandchild));
        return response;
      });
  return context.Run();
}

int FdStarvedMain(HelperContext& context) {
  // Kept filled until the helper exits.
  static FdTableFiller* filler = new FdTableFiller();
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        roles::LayoutTextResponse response;
        absl::string_view size = request.text();
        uint32_t bytes = 0;
        if (request.text() == "starve") {
          if (absl::Status filled = filler->Fill(); !filled.ok()) {
            return filled;
          }
          response.add_lines(absl::StrCat(filler->filled()));
        } else if (absl::ConsumePrefix(&size, "big:") &&
                   absl::SimpleAtoi(size, &bytes)) {
          response.add_lines(std::string(bytes, 'b'));
        } else {
          response.add_lines(request.text());
        }
        return response;
      });
  return context.Run();
}

int ThreadedMain(HelperContext& context) {
  std::thread([] {
    for (;;) ::pause();
  }).detach();
  return context.Run();
}

int FdKeeperMain(HelperContext& context) {
  // Pipes by fd and inode: a closed fd's number is soon another file's.
  struct Pipe {
    int fds[2] = {-1, -1};
    ino_t inode = 0;
  };
  static Pipe kept, other;
  for (Pipe* pipe : {&kept, &other}) {
    struct stat st;
    if (::pipe(pipe->fds) != 0 || ::fstat(pipe->fds[1], &st) != 0) return 1;
    pipe->inode = st.st_ino;
  }
  context.KeepThroughLockdown(kept.fds[0]);
  context.KeepThroughLockdown(kept.fds[1]);
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        auto state = [](const Pipe& pipe) {
          struct stat st;
          return ::fstat(pipe.fds[1], &st) == 0 && st.st_ino == pipe.inode
                     ? "open"
                     : "closed";
        };
        roles::LayoutTextResponse response;
        response.add_lines(absl::StrCat("kept ", state(kept)));
        response.add_lines(absl::StrCat("other ", state(other)));
        return response;
      });
  return context.Run();
}

}  // namespace

bool AddPlatformTestRoles(RoleRegistry& roles) {
  return roles.Add("violator", &ViolatorMain).ok() &&
         roles.Add("forker", &ForkerMain).ok() &&
         roles.Add("escaper", &EscaperMain).ok() &&
         roles.Add("fd-starved", &FdStarvedMain).ok() &&
         roles.Add("threaded", &ThreadedMain).ok() &&
         roles.Add("fd-keeper", &FdKeeperMain).ok();
}

}  // namespace bulkhead::testing
