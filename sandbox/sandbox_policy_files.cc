// The policy's file access: the builder's BrokerAllow*/PreOpen and their
// checks.
#include "sandbox/sandbox_policy_files.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {
namespace internal {
namespace {

#if defined(_WIN32)
constexpr absl::string_view kSeparators = "\\/";
constexpr size_t kRootLength = 3;  // "C:\".
bool IsRoot(absl::string_view path) {
  return path.size() >= 3 && absl::ascii_isalpha(path[0]) && path[1] == ':' &&
         (path[2] == '\\' || path[2] == '/');
}
#else
constexpr absl::string_view kSeparators = "/";
constexpr size_t kRootLength = 1;  // "/".
bool IsRoot(absl::string_view path) { return !path.empty() && path[0] == '/'; }
#endif

}  // namespace

absl::Status ValidateAbsolutePath(absl::string_view path) {
  if (path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("a path with a NUL byte");
  }
  if (!IsRoot(path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not an absolute path"));
  }
  if (path.size() == kRootLength) return absl::OkStatus();
  for (absl::string_view part :
       absl::StrSplit(path.substr(kRootLength), absl::ByAnyChar(kSeparators))) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path,
          "' has an empty, '.' or '..' component (or a trailing separator)"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> PathComponents(absl::string_view path) {
  if (path.size() <= kRootLength) return {};
  return absl::StrSplit(path.substr(kRootLength), absl::ByAnyChar(kSeparators));
}

bool PathIsWithin(absl::string_view path, absl::string_view dir) {
  const std::vector<std::string> inner = PathComponents(path);
  const std::vector<std::string> outer = PathComponents(dir);
  if (inner.size() < outer.size()) return false;
#if defined(_WIN32)
  if (absl::ascii_tolower(path[0]) != absl::ascii_tolower(dir[0])) return false;
#endif
  for (size_t i = 0; i < outer.size(); ++i) {
#if defined(_WIN32)
    if (!absl::EqualsIgnoreCase(inner[i], outer[i])) return false;
#else
    if (inner[i] != outer[i]) return false;
#endif
  }
  return true;
}

absl::Status ValidateFileAccess(const SandboxPolicy& policy) {
  for (const BrokerRule& rule : policy.broker_rules) {
    if (absl::Status valid = ValidateAbsolutePath(rule.path); !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("broker rule: ", valid.message()));
    }
  }
  std::set<std::string> names;
  for (const PreopenedFile& file : policy.preopened) {
    if (file.name.empty() || file.name.size() > kMaxPreopenedNameLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("pre-opened file name '", file.name, "' must be 1 to ",
                       kMaxPreopenedNameLength, " characters"));
    }
    if (!names.insert(file.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("pre-opened file name '", file.name, "' given twice"));
    }
    if (absl::Status valid = ValidateAbsolutePath(file.path); !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("pre-opened file '", file.name, "': ", valid.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace internal

SandboxPolicyBuilder& SandboxPolicyBuilder::BrokerAllowRead(
    absl::string_view path) {
  policy_.broker_rules.push_back({std::string(path), false, false});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::BrokerAllowReadUnder(
    absl::string_view dir) {
  policy_.broker_rules.push_back({std::string(dir), true, false});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::BrokerAllowWrite(
    absl::string_view path) {
  policy_.broker_rules.push_back({std::string(path), false, true});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::BrokerAllowWriteUnder(
    absl::string_view dir) {
  policy_.broker_rules.push_back({std::string(dir), true, true});
  return *this;
}

SandboxPolicyBuilder& SandboxPolicyBuilder::PreOpen(absl::string_view name,
                                                    absl::string_view path,
                                                    bool write) {
  policy_.preopened.push_back({std::string(name), std::string(path), write});
  return *this;
}

}  // namespace bulkhead::sandbox
