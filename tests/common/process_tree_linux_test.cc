#include "common/process_tree_linux.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/proc_stat_linux.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

// The state letter of `pid` ('Z' for a zombie), or 0 once it is gone.
char StateOf(pid_t pid) {
  const std::vector<std::string> fields =
      ProcStatFields(absl::StrCat("/proc/", pid, "/stat"));
  // Field 3 (the state) is at index 0.
  return fields.empty() || fields[0].empty() ? 0 : fields[0][0];
}

bool Ended(pid_t pid) {
  const char state = StateOf(pid);
  return state == 0 || state == 'Z' || state == 'X';
}

void WriteAll(int fd, const void* data, size_t size) {
  if (::write(fd, data, size) != static_cast<ssize_t>(size)) ::_exit(99);
}

// What the root reports: its child that left the session, the grandchild a
// double fork orphaned, and the child it spares. After the sweep it reports
// how many it killed.
struct Report {
  pid_t child;
  pid_t grandchild;
  pid_t spared;
};

TEST(KillDescendantsTest, KillsEveryDescendantOfASubreaperButTheSpare) {
  int report[2];
  int go[2];
  ASSERT_EQ(::pipe(report), 0);
  ASSERT_EQ(::pipe(go), 0);
  const pid_t root = ::fork();
  ASSERT_GE(root, 0);
  if (root == 0) {
    ::close(report[0]);
    ::close(go[1]);
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) ::_exit(98);
    int orphan[2];
    if (::pipe(orphan) != 0) ::_exit(97);
    Report what = {};
    what.child = ::fork();
    if (what.child == 0) {
      ::setsid();
      const pid_t middle = ::fork();
      if (middle == 0) {
        const pid_t grandchild = ::fork();
        if (grandchild == 0) {
          ::setsid();
          for (;;) ::pause();
        }
        WriteAll(orphan[1], &grandchild, sizeof(grandchild));
        ::_exit(0);
      }
      // Once the middle process is reaped, the grandchild is orphaned.
      ::waitpid(middle, nullptr, 0);
      WriteAll(orphan[1], "x", 1);
      for (;;) ::pause();
    }
    if (::read(orphan[0], &what.grandchild, sizeof(what.grandchild)) !=
        sizeof(what.grandchild)) {
      ::_exit(96);
    }
    char orphaned;
    if (::read(orphan[0], &orphaned, 1) != 1) ::_exit(94);
    what.spared = ::fork();
    if (what.spared == 0) {
      for (;;) ::pause();
    }
    WriteAll(report[1], &what, sizeof(what));
    char byte;
    if (::read(go[0], &byte, 1) != 1) ::_exit(95);
    KillSpare spare;
    spare.pids[0] = what.spared;
    const int killed = KillDescendants(::getpid(), spare, 5000);
    WriteAll(report[1], &killed, sizeof(killed));
    // Stays, so that the test sees its children as its zombies.
    for (;;) ::pause();
  }
  ::close(report[1]);
  ::close(go[0]);
  Report what = {};
  ASSERT_EQ(::read(report[0], &what, sizeof(what)),
            static_cast<ssize_t>(sizeof(what)));
  // Orphaned, the grandchild is the root's (a subreaper) now.
  const std::vector<std::string> grandchild =
      ProcStatFields(absl::StrCat("/proc/", what.grandchild, "/stat"));
  ASSERT_GE(grandchild.size(), 2u);
  EXPECT_EQ(grandchild[1], absl::StrCat(root));
  EXPECT_FALSE(Ended(what.child));
  EXPECT_FALSE(Ended(what.grandchild));
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  int killed = -1;
  ASSERT_EQ(::read(report[0], &killed, sizeof(killed)),
            static_cast<ssize_t>(sizeof(killed)));
  // The middle process exited by itself: the child and the grandchild.
  EXPECT_EQ(killed, 2);
  EXPECT_TRUE(Ended(what.child)) << StateOf(what.child);
  EXPECT_TRUE(Ended(what.grandchild)) << StateOf(what.grandchild);
  EXPECT_FALSE(Ended(what.spared)) << "the spared child was killed";
  ::kill(what.spared, SIGKILL);
  ::kill(root, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(root, &status, 0), root);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  ::close(report[0]);
  ::close(go[1]);
}

// Out of time, a sweep says it is not done; called again, it finishes, and
// a sweep that kills none is done even with no time at all.
TEST(KillDescendantsTest, SaysWhetherItFinishedWithinItsBudget) {
  const pid_t root = ::fork();
  ASSERT_GE(root, 0);
  if (root == 0) {
    const pid_t child = ::fork();
    if (child == 0) {
      for (;;) ::pause();
    }
    bool finished = true;
    // No time to see it die.
    if (KillDescendants(::getpid(), KillSpare(), 0, &finished) != 1) {
      ::_exit(10);
    }
    if (finished) ::_exit(11);
    if (KillDescendants(::getpid(), KillSpare(), 5000, &finished) > 1) {
      ::_exit(12);
    }
    if (!finished) ::_exit(13);
    if (!Ended(child)) ::_exit(14);
    // Nothing left alive: done at once, whatever the budget.
    if (KillDescendants(::getpid(), KillSpare(), 0, &finished) != 0) {
      ::_exit(15);
    }
    ::_exit(finished ? 0 : 16);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(root, &status, 0), root);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// How many threads `pid` has (its /proc task directory), 0 once it is gone.
int ThreadsOf(pid_t pid) {
  std::error_code error;
  int count = 0;
  for (auto it = std::filesystem::directory_iterator(
           absl::StrCat("/proc/", pid, "/task"), error);
       !error && it != std::filesystem::directory_iterator();
       it.increment(error)) {
    ++count;
  }
  return count;
}

// A child whose main thread has exited while another of its threads runs
// reads as a zombie, and keeps its own children until its last thread ends
// (a process that forks under ThreadSanitizer, which runs a thread in every
// forked child, is one while it exits): it is killed and waited for like any
// live child, and then its child goes too.
TEST(KillDescendantsTest, AZombieLeaderWithLiveThreadsIsKilledAndItsChildToo) {
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t root = ::fork();
  ASSERT_GE(root, 0);
  if (root == 0) {
    ::close(report[0]);
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) ::_exit(98);
    int grandchild_pid[2];
    if (::pipe(grandchild_pid) != 0) ::_exit(97);
    const pid_t child = ::fork();
    if (child == 0) {
      const pid_t grandchild = ::fork();
      if (grandchild == 0) {
        for (;;) ::pause();
      }
      pthread_t thread;
      if (pthread_create(
              &thread, nullptr,
              [](void*) -> void* {
                for (;;) ::pause();
              },
              nullptr) != 0) {
        ::_exit(90);
      }
      WriteAll(grandchild_pid[1], &grandchild, sizeof(grandchild));
      // The leader ends (this thread only, and without unwinding through
      // the test's frames); the process lives on in its other thread.
      ::syscall(SYS_exit, 0);
    }
    pid_t grandchild = 0;
    if (::read(grandchild_pid[0], &grandchild, sizeof(grandchild)) !=
        sizeof(grandchild)) {
      ::_exit(96);
    }
    // The leader reads as a zombie once it has exited (no event says so:
    // looked at for up to 10 s).
    for (int i = 0; i < 10000 && StateOf(child) != 'Z'; ++i) ::usleep(1000);
    const char shape[2] = {StateOf(child), static_cast<char>(ThreadsOf(child))};
    bool finished = false;
    KillDescendants(::getpid(), KillSpare(), 5000, &finished);
    const pid_t ends[2] = {child, grandchild};
    WriteAll(report[1], ends, sizeof(ends));
    const char done[2] = {static_cast<char>(finished),
                          static_cast<char>(Ended(grandchild))};
    WriteAll(report[1], shape, sizeof(shape));
    WriteAll(report[1], done, sizeof(done));
    for (;;) ::pause();
  }
  ::close(report[1]);
  pid_t ends[2] = {};
  char shape[2] = {};
  char done[2] = {};
  ASSERT_EQ(::read(report[0], ends, sizeof(ends)),
            static_cast<ssize_t>(sizeof(ends)));
  ASSERT_EQ(::read(report[0], shape, sizeof(shape)),
            static_cast<ssize_t>(sizeof(shape)));
  ASSERT_EQ(::read(report[0], done, sizeof(done)),
            static_cast<ssize_t>(sizeof(done)));
  // What the test sets up: a zombie leader and a live thread (and, under
  // ThreadSanitizer, the runtime's own).
  EXPECT_EQ(shape[0], 'Z');
  EXPECT_GE(shape[1], 2);
  EXPECT_TRUE(done[0]) << "the sweep did not finish";
  EXPECT_TRUE(done[1]) << "the zombie leader's child " << ends[1]
                       << " outlived the sweep";
  ::kill(ends[1], SIGKILL);
  ::kill(ends[0], SIGKILL);
  ::kill(root, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(root, &status, 0), root);
  ::close(report[0]);
}

// A child whose exit signal is the spared one (a helper's sweeper: SIGKILL)
// stays; the others go.
TEST(KillDescendantsTest, SparesTheChildrenWithTheSparedExitSignal) {
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t root = ::fork();
  ASSERT_GE(root, 0);
  if (root == 0) {
    ::close(report[0]);
    pid_t children[2];
    // Like fork, with SIGKILL as its exit signal.
    children[0] = static_cast<pid_t>(::syscall(SYS_clone, SIGKILL, 0, 0, 0, 0));
    if (children[0] == 0) {
      for (;;) ::pause();
    }
    children[1] = ::fork();
    if (children[1] == 0) {
      for (;;) ::pause();
    }
    if (children[0] < 0 || children[1] < 0) ::_exit(98);
    WriteAll(report[1], children, sizeof(children));
    KillSpare spare;
    spare.exit_signal = SIGKILL;
    const int killed = KillDescendants(::getpid(), spare, 5000);
    WriteAll(report[1], &killed, sizeof(killed));
    for (;;) ::pause();
  }
  ::close(report[1]);
  pid_t children[2] = {};
  ASSERT_EQ(::read(report[0], children, sizeof(children)),
            static_cast<ssize_t>(sizeof(children)));
  int killed = -1;
  ASSERT_EQ(::read(report[0], &killed, sizeof(killed)),
            static_cast<ssize_t>(sizeof(killed)));
  EXPECT_EQ(killed, 1);
  EXPECT_FALSE(Ended(children[0])) << "the child with the spared exit signal";
  EXPECT_TRUE(Ended(children[1])) << StateOf(children[1]);
  // Ending the spared one ends the root too (its exit signal).
  ::kill(children[0], SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(root, &status, 0), root);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  ::close(report[0]);
}

}  // namespace
}  // namespace bulkhead
