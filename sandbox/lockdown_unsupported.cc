#include "sandbox/lockdown.h"

namespace bulkhead::sandbox {

absl::StatusOr<std::vector<LayerOutcome>> LockDown(const LockdownRequest&) {
  return absl::UnimplementedError(
      "no in-process lockdown on this platform (Windows confines helpers "
      "from the host, at launch)");
}

bool LockdownAvailable() { return false; }

const std::vector<LayerOutcome>& LockdownOutcomes() {
  static const auto* none = new std::vector<LayerOutcome>;
  return *none;
}

bool IsMultiThreadedRefusal(const absl::Status&) { return false; }

std::vector<int> OpenDescriptors() { return {}; }

std::map<std::string, uint64_t> CurrentNamespaces() { return {}; }

std::vector<std::string> LearnedSyscalls() { return {}; }

}  // namespace bulkhead::sandbox
