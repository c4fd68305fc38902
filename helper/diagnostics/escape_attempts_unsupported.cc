// The escape-attempt suite is Linux only.
#include <vector>

#include "helper/diagnostics/escape_attempts.h"

namespace bulkhead {

struct EscapeBait::State {};

EscapeBait::EscapeBait(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

EscapeBait::~EscapeBait() = default;

std::unique_ptr<EscapeBait> EscapeBait::Plant() { return nullptr; }

absl::Status EscapeBait::LockDownBeside(
    absl::FunctionRef<absl::Status()> lockdown) {
  return lockdown();
}

void RunBrokerEscapeAttempts(
    HelperContext&, const EscapeTargets&,
    absl::AnyInvocable<void(std::vector<EscapeAttempt>)> done) {
  done({});
}

std::vector<EscapeAttempt> RunEscapeAttempts(const EscapeTargets&,
                                             const EscapeBait*) {
  return {};
}

}  // namespace bulkhead
