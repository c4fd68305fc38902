// The zygote's side (helper/zygote_linux.cc), spoken to over its socket as a
// host would, including with requests no host should send.
#include "helper/zygote.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/switches.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helper/zygote_wire_linux.h"
#include "ipc/proto/zygote.pb.h"
#include "tests/support/run_process.h"

extern char** environ;

namespace bulkhead {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(10);

class ZygoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sockets = CreateZygoteSocketPair();
    ASSERT_TRUE(sockets.ok()) << sockets.status();
    control_ = std::move(sockets->first);
    std::vector<std::string> args = {
        testing::SelfPath(), absl::StrCat("--type=", switches::kZygoteType),
        "--ipc-fd=3",
        absl::StrCat("--", switches::kZygoteTitleSpace, "=",
                     std::string(512, '.'))};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sockets->second.get(), 3);
    ASSERT_EQ(::posix_spawn(&zygote_, argv[0], &actions, nullptr, argv.data(),
                            environ),
              0);
    posix_spawn_file_actions_destroy(&actions);
    hello_ = Receive();
  }

  void TearDown() override {
    if (zygote_ > 0) {
      ::kill(zygote_, SIGKILL);
      ::waitpid(zygote_, nullptr, 0);
    }
  }

  ipc::ZygoteReply Receive() {
    absl::StatusOr<ZygotePacket> packet =
        ReceiveZygotePacket(control_.get(), absl::Now() + kTimeout);
    ipc::ZygoteReply reply;
    EXPECT_TRUE(packet.ok()) << packet.status();
    if (packet.ok()) {
      EXPECT_TRUE(packet->fds.empty());
      EXPECT_TRUE(reply.ParseFromString(packet->bytes));
    }
    return reply;
  }

  // Sends `request` with `fds` and returns the answer.
  ipc::ZygoteReply Ask(const ipc::ZygoteFork& request,
                       const std::vector<int>& fds) {
    absl::Status sent = SendZygotePacket(control_.get(), request, fds);
    EXPECT_TRUE(sent.ok()) << sent;
    return Receive();
  }

  static ipc::ZygoteFork HelperRequest(const std::string& type) {
    ipc::ZygoteFork request;
    request.add_argv(testing::SelfPath());
    request.add_argv(absl::StrCat("--type=", type));
    request.add_argv("--ipc-fd=3");
    request.add_argv("--helper-id=1");
    return request;
  }

  ScopedHandle control_;
  pid_t zygote_ = 0;
  ipc::ZygoteReply hello_;
};

TEST_F(ZygoteTest, SaysItsOwnPidFirst) {
  EXPECT_EQ(hello_.pid(), zygote_);
  EXPECT_EQ(hello_.error(), "");
}

TEST_F(ZygoteTest, RefusesBadRequestsWithAReasonAndKeepsServing) {
  ScopedHandle null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null.is_valid());
  struct Case {
    const char* what;
    ipc::ZygoteFork request;
    std::vector<int> fds;
    const char* reason;
  };
  std::vector<Case> cases;
  {
    ipc::ZygoteFork too_few = HelperRequest("renderer");
    too_few.add_target_fds(3);
    too_few.add_target_fds(4);
    cases.push_back(
        {"more numbers than fds", too_few, {null.get()}, "carries"});
  }
  {
    ipc::ZygoteFork out_of_range = HelperRequest("renderer");
    out_of_range.add_target_fds(99);
    cases.push_back(
        {"fd number out of range", out_of_range, {null.get()}, "99"});
  }
  {
    ipc::ZygoteFork repeated = HelperRequest("renderer");
    repeated.add_target_fds(3);
    repeated.add_target_fds(3);
    cases.push_back(
        {"repeated fd number", repeated, {null.get(), null.get()}, "repeated"});
  }
  cases.push_back({"another zygote", HelperRequest("zygote"), {}, "zygote"});
  {
    ipc::ZygoteFork no_type;
    no_type.add_argv(testing::SelfPath());
    no_type.add_argv("--ipc-fd=3");
    cases.push_back({"no --type", no_type, {}, "--type"});
  }
  {
    ipc::ZygoteFork long_line = HelperRequest("renderer");
    long_line.add_argv(std::string(4096, 'x'));
    cases.push_back({"longer than its title", long_line, {}, "longer"});
  }
  for (const Case& bad : cases) {
    SCOPED_TRACE(bad.what);
    ipc::ZygoteReply reply = Ask(bad.request, bad.fds);
    EXPECT_EQ(reply.pid(), 0);
    EXPECT_NE(reply.error().find(bad.reason), std::string::npos)
        << reply.error();
  }
  // Bytes that are no ZygoteFork at all.
  ASSERT_EQ(::send(control_.get(), "\xff\xff\xff", 3, MSG_NOSIGNAL), 3);
  ipc::ZygoteReply garbage = Receive();
  EXPECT_NE(garbage.error().find("not a ZygoteFork"), std::string::npos)
      << garbage.error();
  // Still serving: a good request forks a helper.
  auto channel = CreateStreamPair();
  ASSERT_TRUE(channel.ok());
  ipc::ZygoteFork good = HelperRequest("renderer");
  for (int target : {0, 1, 2, 3}) good.add_target_fds(target);
  ipc::ZygoteReply forked =
      Ask(good, {null.get(), null.get(), null.get(), channel->second.get()});
  ASSERT_GT(forked.pid(), 0) << forked.error();
  channel->second.reset();
  // The helper says Hello on the channel it was given at fd 3.
  char byte = 0;
  EXPECT_EQ(::read(channel->first.get(), &byte, 1), 1);
  // Nothing else crossed: no staged copy (64 and up) and none of the
  // zygote's fds. What is open besides 0-3 is the helper's own loop's.
  std::vector<int> open_fds;
  std::string targets;
  for (const auto& entry : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", forked.pid(), "/fd"))) {
    open_fds.push_back(std::stoi(entry.path().filename().string()));
    absl::StrAppend(&targets, entry.path().filename().string(), " -> ",
                    std::filesystem::read_symlink(entry.path()).string(), "\n");
  }
  for (int fd : {0, 1, 2, 3}) {
    EXPECT_THAT(open_fds, ::testing::Contains(fd)) << targets;
  }
  EXPECT_THAT(open_fds, ::testing::Each(::testing::Lt(64))) << targets;
  // Not the zygote's socket: it is a SOCK_SEQPACKET the helper never saw,
  // and the only socket the helper holds is its channel (fd 3).
  size_t sockets = 0;
  for (size_t at = targets.find("socket:"); at != std::string::npos;
       at = targets.find("socket:", at + 1)) {
    ++sockets;
  }
  EXPECT_EQ(sockets, 1u) << targets;
  channel->first.reset();
  // It is this process's child (CLONE_PARENT), not the zygote's: without a
  // host to answer, it ends, and we reap it.
  int status = 0;
  ASSERT_EQ(::waitpid(static_cast<pid_t>(forked.pid()), &status, 0),
            forked.pid());
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
}

// The helper's fds with gaps between them (3 and 4 unused, the channel at 5,
// one at 63): the zygote's own control socket sits at 3 and must be closed in
// the child like every other fd in a gap, not only those above the last one.
TEST_F(ZygoteTest, FdsInTheGapsBetweenAHelpersOwnAreClosed) {
  ScopedHandle null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null.is_valid());
  auto channel = CreateStreamPair();
  ASSERT_TRUE(channel.ok());
  ipc::ZygoteFork request;
  request.add_argv(testing::SelfPath());
  request.add_argv("--type=renderer");
  request.add_argv("--ipc-fd=5");
  request.add_argv("--helper-id=1");
  for (int target : {0, 1, 2, 5, 63}) request.add_target_fds(target);
  ipc::ZygoteReply forked = Ask(request, {null.get(), null.get(), null.get(),
                                          channel->second.get(), null.get()});
  ASSERT_GT(forked.pid(), 0) << forked.error();
  channel->second.reset();
  char byte = 0;
  EXPECT_EQ(::read(channel->first.get(), &byte, 1), 1);  // Its Hello, on 5.
  std::string open_fds;
  size_t sockets = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", forked.pid(), "/fd"))) {
    const std::string target =
        std::filesystem::read_symlink(entry.path()).string();
    absl::StrAppend(&open_fds, entry.path().filename().string(), " -> ", target,
                    "\n");
    if (target.rfind("socket:", 0) == 0) ++sockets;
  }
  // The channel at 5 is its only socket: not the zygote's SEQPACKET at 3.
  EXPECT_EQ(sockets, 1u) << open_fds;
  EXPECT_NE(open_fds.find("\n5 -> socket:"), std::string::npos) << open_fds;
  EXPECT_NE(open_fds.find("\n63 -> /dev/null"), std::string::npos) << open_fds;
  channel->first.reset();
  int status = 0;
  ASSERT_EQ(::waitpid(static_cast<pid_t>(forked.pid()), &status, 0),
            forked.pid());
}

TEST_F(ZygoteTest, EndsWhenTheHostClosesItsSocket) {
  control_.reset();
  int status = -1;
  ASSERT_EQ(::waitpid(zygote_, &status, 0), zygote_);
  zygote_ = 0;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace bulkhead
