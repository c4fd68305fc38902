// libFuzzer target: what a helper puts on its handle transport (a datagram of
// any bytes with any number of fds beside it, or none) against what its frame
// announced. HandleTransport::Receive must never crash, must hand over
// exactly the announced batch or refuse it, and must close every fd it
// refuses: nothing may leak.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_fds.h"
#include "ipc/handle_transport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const size_t announced = data[0] % 80;  // Past kMaxHandlesPerFrame too.
  const size_t fd_count = data[1];
  const size_t value_count = data[2] % 3;
  const uint8_t flags = data[3];
  data += 4;
  size -= 4;
  const size_t fds_before = bulkhead::fuzz::OpenFds();
  {
    absl::StatusOr<bulkhead::HandlePair> pair =
        bulkhead::ipc::HandleTransport::CreatePair();
    if (!pair.ok()) __builtin_trap();
    bulkhead::ipc::HandleTransport transport(std::move(pair->first));
    const int peer = pair->second.get();
    if (flags & 1) bulkhead::fuzz::SendRaw(peer, data, size, fd_count);
    if (flags & 2) bulkhead::fuzz::SendRaw(peer, data, size / 2, fd_count / 2);
    if (flags & 4) ::shutdown(peer, SHUT_WR);
    std::vector<uint64_t> values(value_count, 7);
    absl::StatusOr<std::vector<bulkhead::ScopedHandle>> handles =
        transport.Receive(announced, values);
    if (handles.ok()) {
      if (handles->size() != announced) __builtin_trap();
      for (const bulkhead::ScopedHandle& handle : *handles) {
        if (!handle.is_valid()) __builtin_trap();
      }
    }
    // A second batch, if one was sent, must not trip the next Receive up.
    if (flags & 8) (void)transport.Receive(announced, {});
  }
  if (bulkhead::fuzz::OpenFds() != fds_before) __builtin_trap();  // A leak.
  return 0;
}
