// The helper side of "same binary, many roles": an app's main() calls
// MaybeRunHelper first.
//
//   bulkhead::RoleRegistry roles;
//   roles.Add("renderer", &RendererMain);
//   if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;
//   ... host path ...
#ifndef BULKHEAD_HELPER_HELPER_MAIN_H_
#define BULKHEAD_HELPER_HELPER_MAIN_H_

#include <optional>

#include "bulkhead/export.h"
#include "helper/role_registry.h"

namespace bulkhead {

// Without `--type` on the command line: returns nullopt at once (this process
// is the host). With it: runs the helper for that role to completion and
// returns its exit code: connects the channel on `--ipc-fd`, says Hello, waits
// for Welcome, then runs the role's main. An unknown role or a missing or bad
// `--ipc-fd`/`--helper-id` prints a one-line reason to stderr and returns
// kExitUsage (2).
BULKHEAD_EXPORT std::optional<int> MaybeRunHelper(int argc,
                                                  const char* const* argv,
                                                  const RoleRegistry& registry);

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_HELPER_MAIN_H_
