// `browser_host sandbox-report`: starts one helper per built-in role and
// prints what each helper's sandbox probe found really in force (like
// chrome://sandbox), then stops them.
#ifndef BULKHEAD_BROWSER_HOST_SANDBOX_REPORT_H_
#define BULKHEAD_BROWSER_HOST_SANDBOX_REPORT_H_

#include <cstdio>

#include "helper/role_registry.h"

namespace bulkhead {

// Returns the exit code: 0 when every role reported, 1 otherwise.
int RunSandboxReport(const RoleRegistry& roles, std::FILE* out);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_SANDBOX_REPORT_H_
