// The helper side of the adversarial app: roles that misbehave in ways the
// built-in fault list (ipc::FaultKind) does not name. Each role serves one
// call (a google.protobuf.StringValue whose text is the role's argument) and
// misbehaves in it, before Ready, or after the host's Shutdown, as its comment
// in adversarial_roles.cc says. "echo" is the well-behaved sibling.
#ifndef BULKHEAD_TESTS_ADVERSARIAL_ADVERSARIAL_ROLES_H_
#define BULKHEAD_TESTS_ADVERSARIAL_ADVERSARIAL_ROLES_H_

#include "absl/status/status.h"
#include "bulkhead/helper.h"

namespace adversarial {

// Registers every role in `roles`. Call before MaybeRunHelper.
absl::Status RegisterRoles(bulkhead::RoleRegistry& roles);

}  // namespace adversarial

#endif  // BULKHEAD_TESTS_ADVERSARIAL_ADVERSARIAL_ROLES_H_
