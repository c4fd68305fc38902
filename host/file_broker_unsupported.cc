// The file broker where neither Linux's nor Windows' open is written: every
// open is Unimplemented.
#include "host/file_broker.h"

namespace bulkhead {

void ForceBrokerComponentWalkForTesting(bool) {}

absl::StatusOr<ScopedHandle> OpenBeneath(absl::string_view,
                                         const std::vector<std::string>&, int) {
  return absl::UnimplementedError("no file broker on this platform");
}

absl::StatusOr<ScopedHandle> OpenPreopenedFile(const sandbox::PreopenedFile&,
                                               bool) {
  return absl::UnimplementedError("no pre-opened files on this platform");
}

absl::Status CheckHandleForHelper(NativeHandle, bool) {
  return absl::OkStatus();
}

}  // namespace bulkhead
