#include "tests/support/test_roles.h"

namespace bulkhead::testing {

bool AddPlatformTestRoles(RoleRegistry&) { return true; }

}  // namespace bulkhead::testing
