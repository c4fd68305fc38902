// libFuzzer target: the zygote's wire (helper/zygote_wire_linux.h), both
// directions, through a real SOCK_SEQPACKET pair: any packet, with any number
// of fds, read by ReceiveZygotePacket, then checked by what each end really
// runs on it: the zygote's ParseForkRequest (a host's request) and the host's
// ReadForkReply (a zygote's answer). Nothing may crash, what is accepted must
// keep the documented bounds, and no fd may leak.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "fuzz/fuzz_fds.h"
#include "helper/zygote_wire_linux.h"
#include "host/launch/zygote_host.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  const bool to_zygote = (flags & 1) == 0;
  const size_t fd_count = (flags >> 1) & 15;  // Past kMaxZygoteFds too.
  ++data;
  --size;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (flags & 0x20) bytes.resize(bulkhead::kMaxZygotePacketBytes + 1, 'x');
  const size_t fds_before = bulkhead::fuzz::OpenFds();
  {
    absl::StatusOr<std::pair<bulkhead::ScopedHandle, bulkhead::ScopedHandle>>
        sockets = bulkhead::CreateZygoteSocketPair();
    if (!sockets.ok()) __builtin_trap();
    if ((flags & 0x40) == 0) {
      bulkhead::fuzz::SendRaw(sockets->second.get(), bytes.data(), bytes.size(),
                              fd_count);
    }
    if (flags & 0x80) sockets->second.reset();
    absl::StatusOr<bulkhead::ZygotePacket> packet =
        bulkhead::ReceiveZygotePacket(sockets->first.get(),
                                      absl::InfinitePast());
    if (packet.ok()) {
      if (packet->bytes.size() > bulkhead::kMaxZygotePacketBytes ||
          packet->fds.size() > bulkhead::kMaxZygoteFds) {
        __builtin_trap();
      }
      if (to_zygote) {
        absl::StatusOr<bulkhead::ForkRequest> request =
            bulkhead::ParseForkRequest(*std::move(packet));
        if (request.ok() &&
            (request->argv.size() < 2 || request->argv.size() > 1024 ||
             request->fds.size() != request->targets.size())) {
          __builtin_trap();
        }
      } else {
        // This process has no children: no answer may be believed.
        absl::StatusOr<int64_t> pid = bulkhead::ReadForkReply(
            packet->bytes, packet->fds.size(), ::getpid() + 1);
        if (pid.ok()) __builtin_trap();
      }
    }
  }
  if (bulkhead::fuzz::OpenFds() != fds_before) __builtin_trap();  // A leak.
  return 0;
}
