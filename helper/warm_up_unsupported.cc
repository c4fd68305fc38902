#include "helper/warm_up.h"

namespace bulkhead {

absl::StatusOr<std::vector<std::string>> ListThreads() {
  return absl::UnimplementedError("threads cannot be listed here");
}

absl::StatusOr<std::vector<std::string>> ListChildren() {
  return absl::UnimplementedError("child processes cannot be listed here");
}

}  // namespace bulkhead
