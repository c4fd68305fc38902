#include "helper/teardown_deferral.h"

namespace bulkhead {

absl::Status DeferTeardownToKeeper(bool) {
  return absl::UnimplementedError("no teardown keeper on this platform");
}

int TeardownKeeperPid() { return 0; }

}  // namespace bulkhead
