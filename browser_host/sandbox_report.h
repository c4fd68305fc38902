// `browser_host sandbox-report`: starts one helper per built-in role and
// prints what each helper's sandbox probe found really in force (like
// chrome://sandbox), then stops them.
#ifndef BULKHEAD_BROWSER_HOST_SANDBOX_REPORT_H_
#define BULKHEAD_BROWSER_HOST_SANDBOX_REPORT_H_

#include <cstdio>

#include "browser_host/host_config.h"
#include "helper/role_registry.h"

namespace bulkhead {

// One table per role: each layer, whether its policy requires it or takes it
// as best effort, and whether the helper's probe found it in force. Returns
// the exit code: 0 when every role reported with every required layer in
// force, 1 otherwise. `sandbox_helpers` false is --no-sandbox. With
// `config` (--config), each role's helper gets the policy the config gives
// it. A role whose policy has a filesystem view gets a second table: each
// entry's path, kind (ro, rw, tmpfs, dev) and whether the helper's probe
// found it in force from inside (an entry not in force fails the report).
// A role whose policy has broker rules or pre-opened files gets a table of
// each: a rule's path, whether it matches the file or every file under it,
// and its access (read, write); a pre-opened file's name (as the helper
// takes it), access and path. They hold sandboxed or not.
int RunSandboxReport(const RoleRegistry& roles, bool sandbox_helpers,
                     std::FILE* out, const HostConfig* config = nullptr);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_SANDBOX_REPORT_H_
