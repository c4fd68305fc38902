// A host killed with SIGKILL cannot remove its helpers' cgroups; the next
// host to make one reclaims them.
#include "browser_host/helper_cgroup_linux.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
  absl::StatusOr<std::unique_ptr<HelperCgroup>> next =
      HelperCgroup::Create(absl::StrCat(::getpid(), "-900002"), 0, 0);
  ASSERT_TRUE(next.ok()) << next.status();
  for (const std::string& path : left) {
    std::error_code error;
    EXPECT_FALSE(std::filesystem::exists(path, error))
        << path << " of the killed host " << host_pid << " is still there";
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
  // The hierarchies HelperCgroup uses: where the probe is.
  std::vector<std::string> parents;
  for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified",
                            "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"}) {
    std::error_code error;
    if (std::filesystem::is_directory(
            absl::StrCat(mount, (*probe)->relative_path()), error)) {
      parents.push_back(absl::StrCat(mount, "/bulkhead"));
    }
  }
  ASSERT_FALSE(parents.empty()) << (*probe)->description();
  probe->reset();
  // A host that has exited: its pid and start time.
  const pid_t host = ::fork();
  ASSERT_GE(host, 0);
  if (host == 0) ::_exit(0);
  siginfo_t info = {};
  ASSERT_EQ(::waitid(P_PID, host, &info, WEXITED | WNOWAIT), 0);
  const uint64_t start =
      ProcStatField(ProcStatFields(absl::StrCat("/proc/", host, "/stat")), 22);
  ASSERT_EQ(::waitpid(host, nullptr, 0), host);
  ASSERT_GT(start, 0u);
  // Its helper's leftover, still inside.
  const pid_t leftover = ::fork();
  ASSERT_GE(leftover, 0);
  if (leftover == 0) {
    for (;;) ::pause();
  }
  std::vector<std::string> abandoned;
  for (const std::string& parent : parents) {
    abandoned.push_back(absl::StrCat(parent, "/", host, ".", start, "-1"));
    ASSERT_TRUE(std::filesystem::create_directory(abandoned.back()))
        << abandoned.back();
    ASSERT_TRUE(WriteKernelFile(abandoned.back() + "/cgroup.procs",
                                absl::StrCat(leftover))
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<HelperCgroup>> next =
      HelperCgroup::Create(absl::StrCat(::getpid(), "-900004"), 0, 0);
  ASSERT_TRUE(next.ok()) << next.status();
  // Reclaimed before Create returned: the leftover is dead (a zombie) now.
  siginfo_t ended = {};
  ASSERT_EQ(::waitid(P_PID, leftover, &ended, WEXITED | WNOHANG), 0);
  EXPECT_EQ(ended.si_pid, leftover) << "the leftover still runs";
  EXPECT_EQ(ended.si_status, SIGKILL);
  ::kill(leftover, SIGKILL);
  ::waitpid(leftover, nullptr, 0);
  for (const std::string& path : abandoned) {
    std::error_code error;
    EXPECT_FALSE(std::filesystem::exists(path, error)) << path;
    std::filesystem::remove(path, error);
  }
}

}  // namespace
}  // namespace bulkhead
