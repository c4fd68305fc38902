// No helper, and nothing a helper started, outlives its host, however the
// host ends: a clean exit, SIGTERM, or SIGKILL (no chance to clean up: the
// helpers' parent-death signal, an unsandboxed helper's sweeper and their
// channel's end-of-stream must do it).
#include <uv.h>  // SIGKILL on Windows.

#include <algorithm>
#include <csignal>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/platform.h"
#include "gtest/gtest.h"
#include "host/launch/launch_options.h"
#include "tests/support/process_probe.h"
#include "tests/support/run_process.h"
#include "tests/support/test_host.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

struct HostDeath {
  const char* name;
  int signal;  // 0: close its input, a clean exit.
  // The helpers were launched from the host's own thread, which then stopped
  // (Host::StopThread): they must not have died with that thread, and must
  // still die with the process.
  bool launched_on_thread = false;
  // What the test host asks its escaper (test_host.h); nullptr: the default.
  const char* escaper_request = nullptr;
  // One more helper, whose loop is blocked when the host dies: it never reads
  // its channel's end, and only its parent watch can end it.
  bool with_blocker = false;
};

class HostDeathTest : public ::testing::TestWithParam<HostDeath> {};

// The pids on the line that starts with `label` and a space.
std::vector<int64_t> PidsAfter(const std::string& out,
                               const std::string& label) {
  std::vector<int64_t> pids;
  // At the start of a line: "CHILDREN" must not match "GRANDCHILDREN".
  size_t at = out.rfind(label + " ", 0) == 0 ? 0 : std::string::npos;
  if (at == std::string::npos) {
    at = out.find("\n" + label + " ");
    if (at == std::string::npos) return pids;
    ++at;
  }
  const size_t from = at + label.size() + 1;
  const std::string line = out.substr(from, out.find('\n', at) - from);
  for (absl::string_view word : absl::StrSplit(line, ' ')) {
    int64_t pid = 0;
    if (absl::SimpleAtoi(word, &pid)) pids.push_back(pid);
  }
  return pids;
}

// What `pid` is, for a failure message: its /proc stat line (Linux; name,
// state, parent, group, session) and command line.
std::string Describe(int64_t pid) {
#if defined(BULKHEAD_OS_LINUX)
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::string line, command;
  std::getline(stat, line);
  std::getline(cmdline, command);
  std::replace(command.begin(), command.end(), '\0', ' ');
  return absl::StrCat(line.substr(0, 80), " | ", command);
#else
  (void)pid;
  return "";
#endif
}

TEST_P(HostDeathTest, LeavesNoHelperBehind) {
  const int signal = GetParam().signal;
  if (signal == SIGTERM && !testing::CanSendGracefulSignals()) {
    GTEST_SKIP() << "no catchable SIGTERM on this platform";
  }
  const char* escaper_request = GetParam().escaper_request;
  if (escaper_request != nullptr) {
    if (testing::TestRoleRegistry().Find("escaper") == nullptr) {
      GTEST_SKIP() << "no escaper role on this platform";
    }
    uv_os_setenv(testing::kEscaperRequestVariable, escaper_request);
  }
  if (GetParam().with_blocker) {
    uv_os_setenv(testing::kBlockerVariable, "1");
  }
  testing::SignalOnOutput when_ready;
  when_ready.marker = "HELPERS";
  when_ready.signal = signal;
  if (signal == 0) when_ready.input = "";  // Close its stdin.
  absl::StatusOr<testing::ProcessOutput> host = testing::RunProcess(
      {testing::SelfPath(), GetParam().launched_on_thread
                                ? testing::kTestHostThreadFlag
                                : testing::kTestHostFlag},
      "", absl::Seconds(30), when_ready);
  if (escaper_request != nullptr) {
    uv_os_unsetenv(testing::kEscaperRequestVariable);
  }
  uv_os_unsetenv(testing::kBlockerVariable);
  ASSERT_TRUE(host.ok()) << host.status();
  std::vector<int64_t> pids = PidsAfter(host->out, "HELPERS");
  ASSERT_GE(pids.size(), 2u) << host->out << host->err;
  // Every other child of the host (Linux): sandboxed helpers' namespace
  // inits, and the zygote, which forked the unsandboxed gpu helper.
  for (int64_t child : PidsAfter(host->out, "CHILDREN")) {
    if (std::find(pids.begin(), pids.end(), child) == pids.end()) {
      pids.push_back(child);
    }
  }
  if (ZygoteAvailable()) {
    EXPECT_EQ(PidsAfter(host->out, "ZYGOTES").size(), 1u) << host->out;
  }
  // Where the host could give a helper leave to fork (Linux), its child
  // too, and every helper's teardown keeper.
  const std::vector<int64_t> grandchildren =
      PidsAfter(host->out, "GRANDCHILDREN");
  if (ZygoteAvailable()) {
    // Linux: at least the forker's child; and a keeper per helper where the
    // build has keepers.
    EXPECT_FALSE(grandchildren.empty()) << host->out;
  }
  pids.insert(pids.end(), grandchildren.begin(), grandchildren.end());
  // Started by an unsandboxed helper, out of its process group and session
  // (setsid), one orphaned by a double fork: gone too, however the host
  // ended.
  const std::vector<int64_t> escapees = PidsAfter(host->out, "ESCAPEES");
  // A helper that kills its sweeper ends with it, before it starts them.
  if (ZygoteAvailable() && escaper_request == nullptr) {
    EXPECT_EQ(escapees.size(), 2u) << host->out;
  }
  pids.insert(pids.end(), escapees.begin(), escapees.end());
  if (signal == SIGKILL) {
    EXPECT_EQ(host->term_signal, SIGKILL);
  } else {
    EXPECT_EQ(host->exit_status, 0) << host->err;
  }
  for (int64_t pid : pids) {
    EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(10)))
        << "helper, zygote, keeper, grandchild or escapee " << pid
        << " outlived its host: " << Describe(pid) << "\n"
        << host->out << host->err;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Deaths, HostDeathTest,
    ::testing::Values(HostDeath{"clean_exit", 0}, HostDeath{"sigterm", SIGTERM},
                      HostDeath{"sigkill", SIGKILL},
                      HostDeath{"clean_exit_after_thread", 0, true},
                      HostDeath{"sigkill_after_thread", SIGKILL, true},
                      // An unsandboxed helper whose own code kills its
                      // sweeper and then blocks its loop.
                      HostDeath{"sigkill_sweeper_killed", SIGKILL, false,
                                "hang-without-sweeper"},
                      HostDeath{"sigkill_helper_loop_blocked", SIGKILL, false,
                                nullptr, true}),
    [](const ::testing::TestParamInfo<HostDeath>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace bulkhead
