// A helper starts with the signal state of its own runtime, not the host's:
// what the host ignores or blocks (a host run under nohup ignores SIGHUP) does
// not reach any helper, however it was launched.
#include <signal.h>

#include <csignal>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "tests/support/test_roles.h"

namespace bulkhead {
namespace {

// The hex mask after `field:` in /proc/<pid>/status ("SigIgn", "SigBlk").
uint64_t StatusMask(int64_t pid, const std::string& field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      uint64_t mask = 0;
      if (absl::SimpleHexAtoi(line.substr(field.size() + 1), &mask)) {
        return mask;
      }
    }
  }
  ADD_FAILURE() << "no " << field << " for " << pid;
  return 0;
}

constexpr uint64_t Bit(int signal) { return uint64_t{1} << (signal - 1); }

struct LaunchMode {
  const char* name;
  bool sandboxed;
  bool zygote;
};

class InheritedSignalsTest : public ::testing::TestWithParam<LaunchMode> {
 protected:
  void SetUp() override {
    // What a host under nohup, or one that blocks signals for a thread of
    // its own, hands to the processes it starts.
    ::sigaction(SIGHUP, nullptr, &old_hup_);
    ::sigaction(SIGUSR2, nullptr, &old_usr2_);
    std::signal(SIGHUP, SIG_IGN);
    std::signal(SIGUSR2, SIG_IGN);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigaddset(&blocked, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &blocked, &old_mask_);
  }
  void TearDown() override {
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    ::sigaction(SIGHUP, &old_hup_, nullptr);
    ::sigaction(SIGUSR2, &old_usr2_, nullptr);
  }

 private:
  struct sigaction old_hup_ = {};
  struct sigaction old_usr2_ = {};
  sigset_t old_mask_;
};

TEST_P(InheritedSignalsTest,
       NoneOfTheHostsIgnoredOrBlockedSignalsReachAHelper) {
  const LaunchMode mode = GetParam();
  if (mode.sandboxed && !SandboxedLaunchAvailable()) {
    GTEST_SKIP() << "no sandboxed launch here";
  }
  if (mode.zygote && !ZygoteAvailable()) {
    GTEST_SKIP() << "no zygote in this build or on this platform";
  }
  Host::Options options;
  options.roles = &testing::TestRoleRegistry();
  options.forward_helper_output = false;
  options.sandbox_helpers = mode.sandboxed;
  options.fork_helpers_from_zygote = mode.zygote;
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  ASSERT_TRUE(host.ok()) << host.status();
  absl::StatusOr<HelperProcess*> ready = absl::UnknownError("not yet");
  bool done = false;
  ASSERT_TRUE((*host)
                  ->Launch("renderer",
                           [&](absl::StatusOr<HelperProcess*> helper) {
                             ready = std::move(helper);
                             done = true;
                             (*host)->Quit();
                           })
                  .ok());
  if (!done) (*host)->Run();  // Ends with Ready or the handshake timeout.
  ASSERT_TRUE(ready.ok()) << ready.status();
  const int64_t pid = (*ready)->pid();
  const uint64_t ignored = StatusMask(pid, "SigIgn");
  const uint64_t blocked = StatusMask(pid, "SigBlk");
  EXPECT_EQ(ignored & Bit(SIGHUP), 0u)
      << "SIGHUP ignored, mask " << std::hex << ignored;
  EXPECT_EQ(ignored & Bit(SIGUSR2), 0u)
      << "SIGUSR2 ignored, mask " << std::hex << ignored;
  EXPECT_EQ(blocked & (Bit(SIGUSR1) | Bit(SIGTERM)), 0u)
      << "blocked mask " << std::hex << blocked;
}

INSTANTIATE_TEST_SUITE_P(
    Modes, InheritedSignalsTest,
    ::testing::Values(LaunchMode{"execd", false, false},
                      LaunchMode{"zygote_forked", false, true},
                      LaunchMode{"sandboxed", true, false}),
    [](const ::testing::TestParamInfo<LaunchMode>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace bulkhead
