#include "helper/role_registry.h"

#include "absl/strings/str_cat.h"
#include "common/switches.h"

namespace bulkhead {

absl::Status RoleRegistry::ValidateName(absl::string_view name) {
  if (name.empty() || name.size() > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("role name '", name, "' must be 1 to 32 characters long"));
  }
  if (name == switches::kZygoteType) {
    return absl::InvalidArgumentError(absl::StrCat(
        "role name '", name, "' is reserved for bulkhead's own fork server"));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "role name '", name, "' may only use a-z, 0-9, '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status RoleRegistry::Add(absl::string_view name, RoleMain main) {
  if (absl::Status valid = ValidateName(name); !valid.ok()) return valid;
  if (main == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("role '", name, "' has no main function"));
  }
  if (!roles_.emplace(std::string(name), main).second) {
    return absl::AlreadyExistsError(
        absl::StrCat("role '", name, "' is already registered"));
  }
  return absl::OkStatus();
}

RoleMain RoleRegistry::Find(absl::string_view name) const {
  auto it = roles_.find(name);
  return it == roles_.end() ? nullptr : it->second;
}

std::vector<std::string> RoleRegistry::names() const {
  std::vector<std::string> names;
  names.reserve(roles_.size());
  for (const auto& [name, main] : roles_) names.push_back(name);
  return names;
}

}  // namespace bulkhead
