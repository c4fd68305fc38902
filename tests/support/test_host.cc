#include "tests/support/test_host.h"

#include <uv.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "browser_host/host.h"
#include "tests/support/test_roles.h"

namespace bulkhead::testing {

int RunTestHost() {
  Host::Options options;
  options.roles = &TestRoleRegistry();
  absl::StatusOr<std::unique_ptr<Host>> created = Host::Create(options);
  if (!created.ok()) return 1;
  Host& host = **created;
  std::vector<int64_t> pids;
  bool stopping = false;
  auto shutdown = [&] {
    if (stopping) return;
    stopping = true;
    host.Shutdown(absl::Seconds(2), [&] { host.Quit(); });
  };
  for (const char* role : {"renderer", "gpu"}) {
    absl::StatusOr<HelperProcess*> launched =
        host.Launch(role, [&](absl::StatusOr<HelperProcess*> helper) {
          if (!helper.ok()) return;
          pids.push_back((*helper)->pid());
          if (pids.size() == 2) {
            std::printf("HELPERS %s\n", absl::StrJoin(pids, " ").c_str());
            std::fflush(stdout);
          }
        });
    if (!launched.ok()) return 1;
  }
  uv_signal_t sigterm;
  uv_signal_init(host.loop(), &sigterm);
  sigterm.data = &shutdown;
  uv_signal_start(
      &sigterm,
      [](uv_signal_t* handle, int) {
        (*static_cast<decltype(shutdown)*>(handle->data))();
      },
      SIGTERM);
  // End of input: the parent closed our stdin.
  uv_pipe_t input;
  uv_pipe_init(host.loop(), &input, 0);
  input.data = &shutdown;
  if (uv_pipe_open(&input, 0) == 0) {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&input),
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          static char byte[64];
          *buf = uv_buf_init(byte, sizeof(byte));
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
          if (nread < 0) (*static_cast<decltype(shutdown)*>(stream->data))();
        });
  }
  host.Run();
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&input), nullptr);
  created->reset();  // Runs the loop until both are closed.
  return 0;
}

}  // namespace bulkhead::testing
