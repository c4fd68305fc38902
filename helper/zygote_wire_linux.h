// The wire between a host and its zygote (helper/zygote.h), Linux: one
// protobuf message per SOCK_SEQPACKET packet, with up to kMaxZygoteFds file
// descriptors beside it (SCM_RIGHTS). Both ends block: the zygote has nothing
// else to do, and the host waits only for the reply to its own request.
#ifndef BULKHEAD_HELPER_ZYGOTE_WIRE_LINUX_H_
#define BULKHEAD_HELPER_ZYGOTE_WIRE_LINUX_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "bulkhead/export.h"
#include "common/platform_handle.h"
#include "google/protobuf/message_lite.h"
#include "ipc/proto/zygote.pb.h"

namespace bulkhead {

inline constexpr size_t kMaxZygoteFds = 8;
inline constexpr size_t kMaxZygotePacketBytes = 64 * 1024;

struct ZygotePacket {
  std::string bytes;
  std::vector<ScopedHandle> fds;  // Close-on-exec.
};

// A connected SOCK_SEQPACKET pair, both ends close-on-exec.
BULKHEAD_EXPORT absl::StatusOr<std::pair<ScopedHandle, ScopedHandle>>
CreateZygoteSocketPair();

BULKHEAD_EXPORT absl::Status SendZygotePacket(
    int socket, const google::protobuf::MessageLite& message,
    absl::Span<const int> fds = {});

// Waits until `deadline` for one packet. The peer's end of the socket closed:
// Unavailable. Nothing by the deadline: DeadlineExceeded. A packet larger than
// kMaxZygotePacketBytes or with more than kMaxZygoteFds fds: DataLoss, and
// whatever came with it is closed.
BULKHEAD_EXPORT absl::StatusOr<ZygotePacket> ReceiveZygotePacket(
    int socket, absl::Time deadline);

// A host's request to fork one helper, as the zygote takes it from a packet.
struct ForkRequest {
  std::vector<std::string> argv;
  std::vector<std::string> environment;
  std::string working_directory;
  std::vector<ScopedHandle> fds;  // Become the helper's fds `targets`.
  std::vector<int> targets;
  int go_fd = -1;  // A target; see ZygoteFork.go_fd.
  bool new_mount_namespace = false;
};

// The host's request to fork one helper: its argv, environment and target
// fd numbers, and the host's working directory now (a forked helper starts
// where an exec'd one would). The zygote host and the sandboxed zygotes'
// host send it.
BULKHEAD_EXPORT ipc::ZygoteFork NewZygoteFork(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& environment,
    const std::vector<int>& targets);

// Checks a packet from the host (helper/zygote_linux.cc, where the zygote
// uses it): a `ZygoteFork` with 2 to 1024 argv entries, one fd per target fd
// number (0 to 63, each once), and a `--type` that is not the zygote's.
// InvalidArgument otherwise, and the packet's fds are closed.
BULKHEAD_EXPORT absl::StatusOr<ForkRequest> ParseForkRequest(
    ZygotePacket packet);

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_ZYGOTE_WIRE_LINUX_H_
