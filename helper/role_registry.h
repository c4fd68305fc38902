// The roles a binary can run as a helper. The same registry must be built in
// the host and in every helper (it is the same binary), so a role name means
// the same code on both sides.
#ifndef BULKHEAD_HELPER_ROLE_REGISTRY_H_
#define BULKHEAD_HELPER_ROLE_REGISTRY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead {

class HelperContext;

// A role's entry point. It registers its handlers on `context.channel()` and
// then returns `context.Run()`, which serves until the host says Shutdown. The
// return value is the helper process's exit code.
using RoleMain = int (*)(HelperContext& context);

class BULKHEAD_EXPORT RoleRegistry {
 public:
  // Names are 1-32 characters of [a-z0-9_-], other than "zygote" (reserved
  // for bulkhead's own fork server). InvalidArgument for a bad name or null
  // `main`, AlreadyExists for a name registered before.
  absl::Status Add(absl::string_view name, RoleMain main);

  // nullptr when `name` is not registered.
  RoleMain Find(absl::string_view name) const;
  bool Contains(absl::string_view name) const { return Find(name) != nullptr; }
  // Registered names in sorted order.
  std::vector<std::string> names() const;

  // InvalidArgument with the reason when `name` is not a valid role name.
  static absl::Status ValidateName(absl::string_view name);

 private:
  std::map<std::string, RoleMain, std::less<>> roles_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_ROLE_REGISTRY_H_
