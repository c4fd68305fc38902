#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "common/command_line.h"
#include "common/switches.h"
#include "helper/zygote_wire_linux.h"
#include "ipc/proto/zygote.pb.h"
#include "tests/support/fake_zygote.h"

namespace bulkhead::testing {

std::optional<int> MaybeRunFakeZygote(int argc, char** argv) {
  const char* mode = std::getenv(kFakeZygoteVariable);
  const CommandLine line = CommandLine::Parse(argc, argv);
  if (mode == nullptr || line.Get(switches::kType) != switches::kZygoteType) {
    return std::nullopt;
  }
  const int control = 3;
  ipc::ZygoteReply hello;
  hello.set_pid(::getpid());
  if (!SendZygotePacket(control, hello).ok()) return 1;
  const std::string what = mode;
  for (;;) {
    absl::StatusOr<ZygotePacket> request =
        ReceiveZygotePacket(control, absl::InfiniteFuture());
    if (!request.ok()) return 0;  // The host closed its end (or killed us).
    ipc::ZygoteReply reply;
    if (what == "own-pid") {
      reply.set_pid(::getpid());
    } else if (what == "host-pid") {
      reply.set_pid(::getppid());
    } else if (what == "garbage") {
      (void)!::write(control, "\xff\xff\xff", 3);
      continue;
    } else if (what == "with-fd") {
      reply.set_pid(::getpid() + 1);
      const int fds[] = {0};
      (void)SendZygotePacket(control, reply, fds);
      continue;
    } else {
      continue;  // silent
    }
    (void)SendZygotePacket(control, reply);
  }
}

}  // namespace bulkhead::testing
