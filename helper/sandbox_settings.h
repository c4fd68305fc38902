// A sandbox policy on the wire: the host turns the helper's policy (and the
// seccomp program it compiled from it) into the Welcome's SandboxSettings;
// the helper turns them back into a lockdown request.
#ifndef BULKHEAD_HELPER_SANDBOX_SETTINGS_H_
#define BULKHEAD_HELPER_SANDBOX_SETTINGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "bulkhead/export.h"
#include "ipc/proto/envelope.pb.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {

// Host side. Compiles the policy's seccomp program when the policy enables
// seccomp and the platform has Linux's layers (sandbox::LockdownAvailable);
// fails when it cannot be compiled.
BULKHEAD_EXPORT absl::StatusOr<ipc::SandboxSettings> MakeSandboxSettings(
    const sandbox::SandboxPolicy& policy);

// Helper side. InvalidArgument for a layer name this build does not know.
BULKHEAD_EXPORT absl::StatusOr<sandbox::LockdownRequest>
LockdownRequestFromSettings(const ipc::SandboxSettings& settings);

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_SANDBOX_SETTINGS_H_
