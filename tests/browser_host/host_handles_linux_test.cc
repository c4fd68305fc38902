// Handles and shared memory between the host and real, sandboxed helpers: a
// blob too large for the socket reaches the utility role intact, and a pipe
// the host passes is written through from inside the sandbox.
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/proto/work.pb.h"
#include "tests/browser_host/host_fixture.h"

namespace bulkhead {
namespace {

class HostHandlesTest : public testing::HostFixture {};

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
  ipc::CompressBlobRequest request;
  std::string data(8u << 20, '\0');
  uint64_t state = 12345;
  for (char& c : data) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    c = static_cast<char>(state >> 60);  // Runs to compress, now and then.
  }
  request.set_data(data);
  const uint64_t sent_before = helper->channel().bytes_sent();
  absl::StatusOr<ipc::CompressBlobResponse> response =
      CallAndWait<ipc::CompressBlobResponse>(helper, request,
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
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ScopedHandle read_end(fds[0]);
  std::vector<ScopedHandle> handles;
  handles.emplace_back(fds[1]);
  ipc::LayoutTextRequest request;
  request.set_text("written by the helper");
  ASSERT_TRUE(
      helper->channel().SendWithHandles(request, std::move(handles)).ok());
  // The helper closes its copy once written: the text, then end-of-file.
  // The loop watches the pipe, so that it wakes when the bytes come.
  struct Reader {
    int fd;
    std::string text;
    bool ended = false;
  } reader{read_end.get(), "", false};
  uv_poll_t watch;
  ASSERT_EQ(uv_poll_init(host_->loop(), &watch, read_end.get()), 0);
  watch.data = &reader;
  uv_poll_start(&watch, UV_READABLE, [](uv_poll_t* handle, int, int) {
    auto* r = static_cast<Reader*>(handle->data);
    char buffer[64];
    const ssize_t n = ::read(r->fd, buffer, sizeof(buffer));
    if (n > 0) r->text.append(buffer, static_cast<size_t>(n));
    if (n <= 0) {
      r->ended = true;
      uv_poll_stop(handle);
    }
  });
  const bool ended = RunUntil([&] { return reader.ended; });
  uv_close(reinterpret_cast<uv_handle_t*>(&watch), nullptr);
  RunUntil([] { return true; });  // The close callback: `watch` is ours.
  ASSERT_TRUE(ended) << "the pipe never reached end-of-file";
  const std::string& text = reader.text;
  EXPECT_EQ(text, "written by the helper");
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
}

}  // namespace
}  // namespace bulkhead
