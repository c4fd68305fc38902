// What a hostile helper (or a careless app) tries against the file broker and
// the host's view of a helper's process, found by the session-5 attack: each
// test is a way in that once worked.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/process_info.h"
#include "gtest/gtest.h"
#include "host/file_broker.h"
#include "host/launch/launch_options.h"
#include "tests/host/host_fixture.h"

namespace bulkhead {
namespace {

// The broker's refusals are logged by the host (HelperProcess::OnOpenFile),
// with the path the helper sent in them: a path holding a line feed or a
// terminal escape must not reach the host's log as such (a forged log line,
// a cleared screen), nor may a path of a megabyte.
TEST(BrokerAttackTest, ARefusalDoesNotCarryTheHelpersControlCharacters) {
  FileBroker broker({{"/nonexistent-bulkhead-dir", true, false}}, {});
  const std::string forged =
      "/x\n[host-1 I] renderer-1 is ready\x1b[2J\x1b]0;owned\x07";
  for (const std::string& path :
       {forged, std::string("relative\nforged"), forged + "/../y"}) {
    absl::StatusOr<ScopedHandle> file =
        broker.Open(path, O_RDONLY, absl::Now());
    ASSERT_FALSE(file.ok());
    EXPECT_TRUE(absl::IsPermissionDenied(file.status())) << file.status();
    const std::string message(file.status().message());
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
    EXPECT_EQ(message.find('\x07'), std::string::npos) << message;
  }
}

TEST(BrokerAttackTest, AHugePathIsRefusedWithAShortMessage) {
  // A rule on a directory that exists ("/"'s children do), so that the path
  // reaches the open.
  FileBroker broker({{"/tmp", true, false}}, {});
  const std::string huge = "/tmp/" + std::string(1 << 20, 'a');
  absl::StatusOr<ScopedHandle> file = broker.Open(huge, O_RDONLY, absl::Now());
  ASSERT_FALSE(file.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(file.status())) << file.status().code();
  EXPECT_LT(file.status().message().size(), 1024u);
  // Nor with a relative one, nor one with `..`: every refusal is short.
  for (const std::string& path :
       {std::string(1 << 20, 'b'), "/" + std::string(1 << 20, 'c') + "/.."}) {
    absl::StatusOr<ScopedHandle> refused =
        broker.Open(path, O_RDONLY, absl::Now());
    ASSERT_FALSE(refused.ok());
    EXPECT_LT(refused.status().message().size(), 1024u);
  }
}

// An exact rule for "/" (an app's slip, which Build() accepts) and a helper
// that asks for "/": the host must refuse, not index an empty list.
TEST(BrokerAttackTest, AnExactRuleForTheRootDoesNotCrashTheHost) {
  FileBroker broker({{"/", false, false}}, {});
  absl::StatusOr<ScopedHandle> file = broker.Open("/", O_RDONLY, absl::Now());
  ASSERT_FALSE(file.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(file.status())) << file.status();
}

// A process picks its own command name (prctl(PR_SET_NAME), or
// /proc/self/comm) and may put a line feed in it: the host must still read
// its CPU time and resident memory (the snapshot, the task manager, and the
// pool's recycling above a resident size read them), not lose them.
TEST(ProcStatAttackTest, ALineFeedInTheCommandNameDoesNotHideTheUsage) {
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::prctl(PR_SET_NAME, "a\n) R 1 2 3 4");
    char byte = 1;
    (void)!::write(ready[1], &byte, 1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  absl::StatusOr<ProcessUsage> usage = GetProcessUsage(child);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_GT(usage->resident_bytes, 0u);
}

// Whether `needle` is anywhere in the writable memory of process `pid` (its
// heap and anonymous mappings), read through /proc/<pid>/mem as a debugger
// would, or as the helper itself can.
bool InWritableMemory(int64_t pid, const std::string& needle) {
  std::ifstream maps(absl::StrCat("/proc/", pid, "/maps"));
  std::ifstream mem(absl::StrCat("/proc/", pid, "/mem"), std::ios::binary);
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms;
    fields >> range >> perms;
    if (perms.size() < 2 || perms[1] != 'w') continue;
    const size_t dash = range.find('-');
    const uint64_t start = std::stoull(range.substr(0, dash), nullptr, 16);
    const uint64_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (end - start > (uint64_t{256} << 20)) continue;
    std::string bytes(end - start, '\0');
    mem.clear();
    mem.seekg(static_cast<std::streamoff>(start));
    mem.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<size_t>(mem.gcount()));
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

// Helpers forked from the zygote share its memory, and the zygote parsed
// every earlier helper's launch (its environment among it) on its heap: a
// secret one launch names (LaunchOverrides::environment, a role's policy)
// must not be readable in the memory of the helpers forked after it.
class ZygoteMemoryAttackTest : public testing::HostFixture {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.fork_helpers_from_zygote = true;
    options.sandbox_helpers = false;
    options.forward_helper_output = false;
  }
};

TEST_F(ZygoteMemoryAttackTest, ALaunchesSecretIsNotInTheNextForkedHelper) {
  if (!ZygoteAvailable()) GTEST_SKIP() << "no zygote here";
  absl::BitGen random;
  const std::string secret =
      absl::StrCat("zygote-canary-", absl::Hex(absl::Uniform<uint64_t>(random)),
                   absl::Hex(absl::Uniform<uint64_t>(random)), "-secret-",
                   std::string(200, 'k'), "-end-",
                   absl::Hex(absl::Uniform<uint64_t>(random)));
  Host::LaunchOverrides with_secret;
  with_secret.environment = {absl::StrCat("BULKHEAD_ROLE_TOKEN=", secret)};
  HelperProcess* first = LaunchReady("env-reader", std::move(with_secret));
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(InWritableMemory(first->pid(), secret))
      << "the scan finds the secret where it belongs";
  HelperProcess* second = LaunchReady("env-reader");
  ASSERT_NE(second, nullptr);
  // The secret's tail: a freed chunk keeps all but its first 16 bytes.
  EXPECT_FALSE(InWritableMemory(second->pid(), secret.substr(16)));
  // Its last bytes alone: a buffer the next, shorter request was received
  // into keeps the end of the one before.
  EXPECT_FALSE(
      InWritableMemory(second->pid(), secret.substr(secret.size() - 48)))
      << "the end of the first launch's request is in the second helper";
}

}  // namespace
}  // namespace bulkhead
