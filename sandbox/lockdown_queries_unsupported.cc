// What a platform without Linux's layers answers about lockdown: none in force,
// nothing recorded. Shared by lockdown_unsupported.cc's platforms, Windows
// (lockdown_win.cc) and macOS (lockdown_mac.cc), whose confinement is none of
// Linux's layers.
#include "sandbox/lockdown.h"

namespace bulkhead::sandbox {

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
