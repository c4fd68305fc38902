// `browser_host sandbox-learn --role R`: runs role R's sample work with its
// seccomp filter in learning mode (every call let through and recorded), then
// prints the system calls the role really made and a proposed allowlist in the
// policy builder's own form, with the difference from R's preset. Users find
// allowlists hard to write; this writes the first draft.
#ifndef BULKHEAD_BROWSER_HOST_SANDBOX_LEARN_H_
#define BULKHEAD_BROWSER_HOST_SANDBOX_LEARN_H_

#include <cstdio>
#include <string>

#include "helper/role_registry.h"

namespace bulkhead {

// Returns the exit code: 0 when the role ran and reported, 1 otherwise, 2 for
// an unknown role.
int RunSandboxLearn(const RoleRegistry& roles, const std::string& role,
                    std::FILE* out);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_SANDBOX_LEARN_H_
