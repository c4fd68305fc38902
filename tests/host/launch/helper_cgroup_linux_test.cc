// A host killed with SIGKILL cannot remove its helpers' cgroups; the next
// host to make one reclaims them.
#include "host/launch/helper_cgroup_linux.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/kernel_file_linux.h"
#include "common/proc_stat_linux.h"
#include "gtest/gtest.h"
#include "tests/support/run_process.h"
#include "tests/support/test_host.h"

namespace bulkhead {
namespace {

// Where HelperCgroup makes its groups, on the usual mounts.
std::vector<std::string> CgroupParents() {
  std::vector<std::string> parents;
  for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified",
                            "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"}) {
    const std::string parent = absl::StrCat(mount, "/bulkhead");
    std::error_code error;
    if (std::filesystem::is_directory(parent, error)) parents.push_back(parent);
  }
  return parents;
}

// The helper cgroups of the host `pid` that still exist.
std::vector<std::string> CgroupsOfHost(int64_t pid) {
  std::vector<std::string> found;
  for (const std::string& parent : CgroupParents()) {
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(parent, error)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_directory() &&
          (absl::StartsWith(name, absl::StrCat(pid, "-")) ||
           absl::StartsWith(name, absl::StrCat(pid, ".")))) {
        found.push_back(entry.path().string());
      }
    }
  }
  return found;
}

// The hierarchies HelperCgroup uses: the parents of `cgroup`'s directories.
std::vector<std::string> ParentsOf(const HelperCgroup& cgroup) {
  std::vector<std::string> parents;
  for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified",
                            "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"}) {
    std::error_code error;
    if (std::filesystem::is_directory(
            absl::StrCat(mount, cgroup.relative_path()), error)) {
      parents.push_back(absl::StrCat(mount, "/bulkhead"));
    }
  }
  return parents;
}

// A host that has exited: its pid and start time.
void ExitedHost(pid_t* pid, uint64_t* start) {
  const pid_t host = ::fork();
  ASSERT_GE(host, 0);
  if (host == 0) ::_exit(0);
  siginfo_t info = {};
  ASSERT_EQ(::waitid(P_PID, host, &info, WEXITED | WNOWAIT), 0);
  *start =
      ProcStatField(ProcStatFields(absl::StrCat("/proc/", host, "/stat")), 22);
  ASSERT_EQ(::waitpid(host, nullptr, 0), host);
  ASSERT_GT(*start, 0u);
  *pid = host;
}

// Empty cgroups named for a host that has exited, one under each of
// `parents`, into `abandoned`.
void MakeAbandonedCgroups(const std::vector<std::string>& parents,
                          std::vector<std::string>* abandoned) {
  pid_t host = 0;
  uint64_t start = 0;
  ASSERT_NO_FATAL_FAILURE(ExitedHost(&host, &start));
  for (const std::string& parent : parents) {
    abandoned->push_back(absl::StrCat(parent, "/", host, ".", start, "-1"));
    ASSERT_TRUE(std::filesystem::create_directory(abandoned->back()))
        << abandoned->back();
  }
}

// Opens and takes LOCK_EX on the empty cgroup directory `path`, making it
// again if it is gone: any host of another test running meanwhile reclaims
// an abandoned cgroup it finds unlocked (it locks, then removes it). The
// descriptor, or -1.
int LockCgroupDirectory(const std::string& path) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) continue;
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat held = {}, named = {};
    // Locked, and still the directory at `path`, not one removed meanwhile.
    if (::flock(fd, LOCK_EX) == 0 && ::fstat(fd, &held) == 0 &&
        ::stat(path.c_str(), &named) == 0 && held.st_ino == named.st_ino) {
      return fd;
    }
    ::close(fd);
  }
  return -1;
}

// Forks a process that takes LOCK_EX on each of `paths` (as nobody after,
// when `as_nobody` and this runs as root: the locks stay), and returns once
// it holds them all. It then holds them until killed, or, with
// `remove_after_ms`, works that long, removes the directories and exits 0
// (its locks go with it).
void ForkLocker(const std::vector<std::string>& paths, bool as_nobody,
                std::optional<int> remove_after_ms, pid_t* locker) {
  int locked[2];
  ASSERT_EQ(::pipe2(locked, O_CLOEXEC), 0);
  *locker = ::fork();
  ASSERT_GE(*locker, 0);
  if (*locker == 0) {
    for (const std::string& path : paths) {
      if (LockCgroupDirectory(path) < 0) ::_exit(2);
    }
    if (as_nobody && ::geteuid() == 0 &&
        (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      ::_exit(1);
    }
    const char one = 1;
    if (::write(locked[1], &one, 1) != 1) ::_exit(3);
    if (!remove_after_ms.has_value()) {
      for (;;) ::pause();
    }
    ::usleep(static_cast<useconds_t>(*remove_after_ms) * 1000);
    for (const std::string& path : paths) {
      if (::rmdir(path.c_str()) != 0) ::_exit(4);
    }
    ::_exit(0);
  }
  ::close(locked[1]);
  char one = 0;
  pollfd ready = {locked[0], POLLIN, 0};
  ASSERT_EQ(::poll(&ready, 1, 10000), 1);
  ASSERT_EQ(::read(locked[0], &one, 1), 1) << "the locker could not lock";
  ::close(locked[0]);
}

TEST(HelperCgroupTest, TheNextHostReclaimsTheCgroupsOfAKilledOne) {
  {
    absl::StatusOr<std::unique_ptr<HelperCgroup>> probe =
        HelperCgroup::Create(absl::StrCat(::getpid(), "-900001"), 0, 0);
    if (!probe.ok()) {
      GTEST_SKIP() << "cannot make cgroups here: " << probe.status();
    }
  }
  testing::SignalOnOutput when_ready;
  when_ready.marker = "HELPERS";
  when_ready.signal = SIGKILL;
  absl::StatusOr<testing::ProcessOutput> host =
      testing::RunProcess({testing::SelfPath(), testing::kTestHostFlag}, "",
                          absl::Seconds(30), when_ready);
  ASSERT_TRUE(host.ok()) << host.status();
  ASSERT_EQ(host->term_signal, SIGKILL) << host->err;
  int64_t host_pid = 0;
  for (absl::string_view line : absl::StrSplit(host->out, '\n')) {
    if (absl::ConsumePrefix(&line, "HOST ")) {
      ASSERT_TRUE(absl::SimpleAtoi(line, &host_pid)) << host->out;
    }
  }
  ASSERT_GT(host_pid, 0) << host->out;
  const std::vector<std::string> left = CgroupsOfHost(host_pid);
  if (left.empty()) {
    GTEST_SKIP() << "the killed host's helpers had no cgroups";
  }
  // The next host: any cgroup it makes reclaims the abandoned ones first.
  // Another test's host may be reclaiming one at the same moment (ctest runs
  // two at once), and Create waits for that only a bounded time: once it
  // returns, each is gone, or still held for reclaiming by another process
  // (locked exclusively), and gone soon after. One that is neither was
  // passed over.
  absl::StatusOr<std::unique_ptr<HelperCgroup>> next =
      HelperCgroup::Create(absl::StrCat(::getpid(), "-900002"), 0, 0);
  ASSERT_TRUE(next.ok()) << next.status();
  std::vector<std::string> being_reclaimed;
  for (const std::string& path : left) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;  // Gone.
    const bool locked_by_another = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    ::close(fd);
    std::error_code error;
    if (!std::filesystem::exists(path, error)) continue;  // Gone meanwhile.
    EXPECT_TRUE(locked_by_another)
        << path << " of the killed host " << host_pid
        << " is still there, and nobody is reclaiming it; in it: "
        << ReadKernelFile(path + "/cgroup.procs");
    if (locked_by_another) being_reclaimed.push_back(path);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (const std::string& path : being_reclaimed) {
    std::error_code error;
    while (std::filesystem::exists(path, error) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    EXPECT_FALSE(std::filesystem::exists(path, error))
        << path << " of the killed host " << host_pid
        << " was being reclaimed by another process, and is still there; in "
           "it: "
        << ReadKernelFile(path + "/cgroup.procs");
  }
}

// A cgroup named for a host that has exited, with a live process still in
// it: the next cgroup made kills that process and removes the directory.
TEST(HelperCgroupTest, WhatIsLeftInAnAbandonedCgroupIsKilled) {
  absl::StatusOr<std::unique_ptr<HelperCgroup>> probe =
      HelperCgroup::Create(absl::StrCat(::getpid(), "-900003"), 0, 0);
  if (!probe.ok()) {
    GTEST_SKIP() << "cannot make cgroups here: " << probe.status();
  }
  const std::vector<std::string> parents = ParentsOf(**probe);
  ASSERT_FALSE(parents.empty()) << (*probe)->description();
  probe->reset();
  std::vector<std::string> abandoned;
  ASSERT_NO_FATAL_FAILURE(MakeAbandonedCgroups(parents, &abandoned));
  // Its helper's leftover, still inside. Killed whatever the test's outcome
  // (a leftover that outlived the test would hold ctest's output pipe open):
  // by the cleanup below, and by its parent-death signal should this test
  // process crash first; and it holds none of ctest's pipes in any case.
  const pid_t parent = ::getpid();
  const pid_t leftover = ::fork();
  ASSERT_GE(leftover, 0);
  if (leftover == 0) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) {
      ::_exit(1);
    }
    const int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
    for (;;) ::pause();
  }
  absl::Cleanup kill_leftover = [leftover] {
    ::kill(leftover, SIGKILL);
    ::waitpid(leftover, nullptr, 0);
  };
  // Moved in under the directory's lock: a host of another test running
  // meanwhile reclaims an abandoned cgroup it finds unlocked, and may have
  // removed it already (the lock makes it again).
  for (const std::string& path : abandoned) {
    const int fd = LockCgroupDirectory(path);
    ASSERT_GE(fd, 0) << path;
    const absl::Status moved =
        WriteKernelFile(path + "/cgroup.procs", absl::StrCat(leftover));
    ::close(fd);
    ASSERT_TRUE(moved.ok()) << path << ": " << moved;
  }
  absl::StatusOr<std::unique_ptr<HelperCgroup>> next =
      HelperCgroup::Create(absl::StrCat(::getpid(), "-900004"), 0, 0);
  ASSERT_TRUE(next.ok()) << next.status();
  // Reclaimed before Create returned: the leftover is dead (a zombie) now.
  siginfo_t ended = {};
  ASSERT_EQ(::waitid(P_PID, leftover, &ended, WEXITED | WNOHANG), 0);
  EXPECT_EQ(ended.si_pid, leftover) << "the leftover still runs";
  EXPECT_EQ(ended.si_status, SIGKILL);
  if (ended.si_pid == leftover) {
    // Reaped just now: its pid is no longer this test's to signal.
    std::move(kill_leftover).Cancel();
  }
  for (const std::string& path : abandoned) {
    std::error_code error;
    EXPECT_FALSE(std::filesystem::exists(path, error)) << path;
    std::filesystem::remove(path, error);
  }
}

// Another host is reclaiming an abandoned cgroup (it holds the directory's
// lock, and takes a while): a host that found it abandoned too waits for that
// reclaim, so that what it found abandoned is gone when Create returns.
TEST(HelperCgroupTest, CreateWaitsForAnotherHostsReclaimToFinish) {
  absl::StatusOr<std::unique_ptr<HelperCgroup>> probe =
      HelperCgroup::Create(absl::StrCat(::getpid(), "-900010"), 0, 0);
  if (!probe.ok()) {
    GTEST_SKIP() << "cannot make cgroups here: " << probe.status();
  }
  const std::vector<std::string> parents = ParentsOf(**probe);
  ASSERT_FALSE(parents.empty()) << (*probe)->description();
  probe->reset();
  std::vector<std::string> abandoned;
  ASSERT_NO_FATAL_FAILURE(MakeAbandonedCgroups(parents, &abandoned));
  // The other host's reclaim: it locks each, works 300 ms, removes them, and
  // exits.
  pid_t reclaimer = 0;
  ASSERT_NO_FATAL_FAILURE(ForkLocker(abandoned, /*as_nobody=*/false,
                                     /*remove_after_ms=*/300, &reclaimer));
  absl::StatusOr<std::unique_ptr<HelperCgroup>> next =
      HelperCgroup::Create(absl::StrCat(::getpid(), "-900011"), 0, 0);
  ASSERT_TRUE(next.ok()) << next.status();
  for (const std::string& path : abandoned) {
    std::error_code error;
    EXPECT_FALSE(std::filesystem::exists(path, error))
        << path << ": Create returned while another host was reclaiming it";
  }
  int status = 0;
  ASSERT_EQ(::waitpid(reclaimer, &status, 0), reclaimer);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// flock needs nothing but a descriptor: any process that may open an
// abandoned cgroup's directory (mode 0755: any user) can hold it locked for
// ever, and so look like another host reclaiming it. HelperCgroup::Create
// runs on the host's loop: it must not wait for that lock for longer than a
// real reclaim takes, and not again at its next launch.
TEST(HelperCgroupTest, AnAbandonedCgroupLockedForEverDoesNotBlockTheHost) {
  absl::StatusOr<std::unique_ptr<HelperCgroup>> probe =
      HelperCgroup::Create(absl::StrCat(::getpid(), "-900007"), 0, 0);
  if (!probe.ok()) {
    GTEST_SKIP() << "cannot make cgroups here: " << probe.status();
  }
  const std::vector<std::string> parents = ParentsOf(**probe);
  ASSERT_FALSE(parents.empty()) << (*probe)->description();
  probe->reset();
  // A host that has exited, and its empty cgroups.
  std::vector<std::string> abandoned;
  ASSERT_NO_FATAL_FAILURE(MakeAbandonedCgroups(parents, &abandoned));
  // The locker: as nobody when this runs as root; it holds LOCK_EX on each
  // until killed.
  pid_t locker = 0;
  ASSERT_NO_FATAL_FAILURE(ForkLocker(abandoned, /*as_nobody=*/true,
                                     /*remove_after_ms=*/std::nullopt,
                                     &locker));
  // Create on a thread of its own, so that this test can end if it hangs.
  const auto create = [](const std::string& name) {
    return std::async(std::launch::async,
                      [name] { return HelperCgroup::Create(name, 0, 0); });
  };
  const absl::Time began = absl::Now();
  auto first = create(absl::StrCat(::getpid(), "-900008"));
  const bool returned =
      first.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  const absl::Duration first_took = absl::Now() - began;
  absl::Duration second_took = absl::InfiniteDuration();
  if (returned) {
    EXPECT_TRUE(first.get().ok());
    const absl::Time again = absl::Now();
    auto second = create(absl::StrCat(::getpid(), "-900009"));
    if (second.wait_for(std::chrono::seconds(10)) ==
        std::future_status::ready) {
      second_took = absl::Now() - again;
      EXPECT_TRUE(second.get().ok());
    }
  }
  ::kill(locker, SIGKILL);
  ::waitpid(locker, nullptr, 0);
  // Lets a hung Create go on (and the std::future join it).
  EXPECT_TRUE(returned) << "Create still waits for the lock after "
                        << first_took;
  // Far below the first's wait, which is as long as a reclaim may take.
  EXPECT_LT(second_took, absl::Milliseconds(500))
      << "the next Create waited for the same lock again";
  for (const std::string& path : abandoned) {
    std::error_code error;
    std::filesystem::remove(path, error);
  }
}

// A live host in another pid namespace (a container sharing the cgroup
// hierarchy) names its cgroups with a pid that means nothing here, or
// another process: they must not be taken for abandoned ones.
TEST(HelperCgroupTest, ALiveHostInAnotherPidNamespaceKeepsItsCgroups) {
  {
    absl::StatusOr<std::unique_ptr<HelperCgroup>> probe =
        HelperCgroup::Create(absl::StrCat(::getpid(), "-900005"), 0, 0);
    if (!probe.ok()) {
      GTEST_SKIP() << "cannot make cgroups here: " << probe.status();
    }
  }
  // The test host as pid 1 of a pid namespace of its own.
  int out[2];
  int in[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  const std::string self = testing::SelfPath();
  const pid_t runner = ::fork();
  ASSERT_GE(runner, 0);
  if (runner == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execlp("unshare", "unshare", "--pid", "--fork", "--mount-proc",
             "--kill-child", self.c_str(), testing::kTestHostFlag, nullptr);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  std::string output;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (output.find("HELPERS") == std::string::npos &&
         absl::Now() < deadline) {
    pollfd ready = {out[0], POLLIN, 0};
    const int left =
        static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (::poll(&ready, 1, std::max(left, 0)) <= 0) break;
    char buffer[4096];
    const ssize_t got = ::read(out[0], buffer, sizeof(buffer));
    if (got <= 0) break;
    output.append(buffer, static_cast<size_t>(got));
  }
  std::vector<std::string> theirs;
  if (output.find("HELPERS") != std::string::npos) {
    // Its helpers' cgroups: the ones named for pid 1 that hold processes.
    for (const std::string& parent : CgroupParents()) {
      std::error_code error;
      for (const auto& entry :
           std::filesystem::directory_iterator(parent, error)) {
        if (!absl::StartsWith(entry.path().filename().string(), "1.")) {
          continue;
        }
        std::ifstream procs(entry.path() / "cgroup.procs");
        int64_t pid = 0;
        if (procs >> pid) theirs.push_back(entry.path().string());
      }
    }
  }
  std::vector<std::string> emptied;
  if (!theirs.empty()) {
    // Another host makes a cgroup meanwhile.
    absl::StatusOr<std::unique_ptr<HelperCgroup>> next =
        HelperCgroup::Create(absl::StrCat(::getpid(), "-900006"), 0, 0);
    EXPECT_TRUE(next.ok()) << next.status();
    for (const std::string& path : theirs) {
      std::ifstream procs(path + "/cgroup.procs");
      int64_t pid = 0;
      if (!(procs >> pid)) emptied.push_back(path);
    }
  }
  // A clean exit: end of input.
  ::close(in[1]);
  int status = 0;
  ::waitpid(runner, &status, 0);
  ::close(out[0]);
  if (output.find("HELPERS") == std::string::npos) {
    GTEST_SKIP() << "no host in a pid namespace here (unshare, wait status "
                 << status << "): " << output;
  }
  ASSERT_FALSE(theirs.empty()) << "the host had no cgroups: " << output;
  EXPECT_TRUE(emptied.empty())
      << "a live host's helpers were killed and their cgroups removed: "
      << absl::StrJoin(emptied, " ");
}

}  // namespace
}  // namespace bulkhead
