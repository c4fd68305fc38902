// Handles and shared memory between the host and real, sandboxed helpers: a
// blob too large for the socket reaches the utility role intact, a pipe the
// host passes is written through from inside the sandbox, and one the helper
// sends is read here.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/test_pipe.h"

namespace bulkhead {
namespace {

class HostHandlesTest : public testing::HostFixture {};

// Reads a pipe to end-of-file on a thread of its own (a blocking read, the
// same on every platform) and wakes the host's loop when it is done. The
// thread ends once every write end is closed: a helper killed closes its own.
class PipeDrain {
 public:
  PipeDrain(Host& host, ScopedHandle read_end)
      : read_end_(std::move(read_end)), thread_([this, &host] {
          for (;;) {
            absl::StatusOr<std::string> bytes =
                testing::ReadSome(read_end_.get(), 4096);
            if (!bytes.ok() || bytes->empty()) break;
            text_ += *bytes;
          }
          // Not `this`: a test that gave up may be gone when the task runs.
          host.Post([done = done_] { *done = true; });
        }) {}
  ~PipeDrain() { thread_.join(); }

  bool done() const { return *done_; }               // On the loop's thread.
  const std::string& text() const { return text_; }  // Once done.

 private:
  ScopedHandle read_end_;
  std::string text_;
  std::shared_ptr<bool> done_ = std::make_shared<bool>(false);
  std::thread thread_;
};

uint32_t Crc32(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
  }
  return ~crc;
}

TEST_F(HostHandlesTest, ABlobTooLargeForTheSocketReachesTheSandboxIntact) {
  HelperProcess* helper = LaunchReady("utility");
  ASSERT_NE(helper, nullptr);
  ASSERT_TRUE(helper->channel().can_pass_handles());
  roles::CompressBlobRequest request;
  std::string data(8u << 20, '\0');
  uint64_t state = 12345;
  for (char& c : data) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    c = static_cast<char>(state >> 60);  // Runs to compress, now and then.
  }
  request.set_data(data);
  const uint64_t sent_before = helper->channel().bytes_sent();
  absl::StatusOr<roles::CompressBlobResponse> response =
      CallAndWait<roles::CompressBlobResponse>(helper, request,
                                               absl::Seconds(30));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->original_size(), data.size());
  EXPECT_EQ(response->crc32(), Crc32(data));
  // The socket carried the envelope, not the 8 MiB.
  EXPECT_LT(helper->channel().bytes_sent() - sent_before, 1024u);
}

TEST_F(HostHandlesTest, APipePassedIsWrittenThroughFromInsideTheSandbox) {
  HelperProcess* helper = LaunchReady("pipe-writer");
  ASSERT_NE(helper, nullptr);
  absl::StatusOr<testing::TestPipe> pipe = testing::MakeTestPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  std::vector<ScopedHandle> handles;
  handles.push_back(std::move(pipe->write));
  roles::LayoutTextRequest request;
  request.set_text("written by the helper");
  ASSERT_TRUE(
      helper->channel().SendWithHandles(request, std::move(handles)).ok());
  // The helper closes its copy once written: the text, then end-of-file.
  PipeDrain drain(*host_, std::move(pipe->read));
  if (!RunUntil([&] { return drain.done(); })) {
    helper->Kill(HostAction::kKillRequested, "the pipe never ended");
    FAIL() << "the pipe never reached end-of-file";
  }
  EXPECT_EQ(drain.text(), "written by the helper");
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
}

TEST_F(HostHandlesTest, APipeTheHelperSendsIsReadHere) {
  // The other direction: on Windows the host takes the handle out of the
  // helper, which cannot reach into the host.
  HelperProcess* helper = LaunchReady("pipe-writer");
  ASSERT_NE(helper, nullptr);
  std::vector<ScopedHandle> received;
  bool arrived = false;
  helper->channel().On<roles::LayoutTextResponse>(
      [&](const roles::LayoutTextResponse&) {
        received = helper->channel().TakeReceivedHandles();
        arrived = true;
      });
  roles::LayoutTextRequest request;
  request.set_text("sent by the helper");
  ASSERT_TRUE(helper->channel().Send(request).ok());
  ASSERT_TRUE(RunUntil([&] { return arrived; }));
  ASSERT_EQ(received.size(), 1u);
  // The helper closed its write end before sending the read end.
  PipeDrain drain(*host_, std::move(received[0]));
  if (!RunUntil([&] { return drain.done(); })) {
    helper->Kill(HostAction::kKillRequested, "the pipe never ended");
    FAIL() << "the pipe never reached end-of-file";
  }
  EXPECT_EQ(drain.text(), "sent by the helper");
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
}

}  // namespace
}  // namespace bulkhead
