// Fault injection for crash-testing: every helper obeys a Fault control
// message (see ipc/proto/envelope.proto) by failing in exactly that way, so
// that the host's detection, classification and recovery can be observed.
#ifndef BULKHEAD_HELPER_DIAGNOSTICS_FAULT_INJECTION_H_
#define BULKHEAD_HELPER_DIAGNOSTICS_FAULT_INJECTION_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead {

class HelperContext;

// Fails the way `fault` says. Faults that end or wedge the helper (segv,
// abort, stack_overflow, div_zero, hang, deadlock, oom, exit) do not return.
// bad_message, flood and fork_bomb start and return OK. Errors: the kind is
// unknown, or this helper refuses it (oom without a memory limit would take
// the machine down with it; fork_bomb where it cannot be contained).
absl::Status InjectFault(const ipc::Fault& fault, HelperContext& context);

// "segv", "abort", ... <-> FaultKind, for command lines.
std::optional<ipc::FaultKind> ParseFaultKind(absl::string_view name);
const char* FaultKindName(ipc::FaultKind kind);

// Platform parts (fault_injection_posix.cc / _win.cc).
// Starts up to `max_children` processes that try to multiply further and
// stay alive; they are bounded so that a test cannot harm the machine.
absl::Status StartForkBomb(int max_children);

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_DIAGNOSTICS_FAULT_INJECTION_H_
