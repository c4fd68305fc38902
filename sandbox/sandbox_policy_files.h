// Internal to bulkhead (not installed): the checks behind the policy's file
// access (BrokerRule, PreopenedFile), shared by SandboxPolicyBuilder::Build
// and the host's file broker, which checks every path a helper sends.
#ifndef BULKHEAD_SANDBOX_SANDBOX_POLICY_FILES_H_
#define BULKHEAD_SANDBOX_SANDBOX_POLICY_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox::internal {

// OK when `path` is absolute (POSIX: starts with `/`; Windows: a drive
// letter, a colon and a separator), has no empty, `.` or `..` component and
// no trailing separator (the root itself excepted), and no NUL; otherwise
// InvalidArgument saying which.
BULKHEAD_EXPORT absl::Status ValidateAbsolutePath(absl::string_view path);

// `path`'s components after the root ("/a/b" -> {"a", "b"}; Windows: after
// "C:\"), for a path ValidateAbsolutePath accepts. Either separator splits on
// Windows.
BULKHEAD_EXPORT std::vector<std::string> PathComponents(absl::string_view path);

// Whether `path` is `dir` itself or beneath it, component-wise (so "/data2"
// is not beneath "/data"); both valid absolute paths. Case-insensitive on
// Windows.
BULKHEAD_EXPORT bool PathIsWithin(absl::string_view path,
                                  absl::string_view dir);

// The policy's broker rules and pre-opened files, as Build() checks them.
absl::Status ValidateFileAccess(const SandboxPolicy& policy);

}  // namespace bulkhead::sandbox::internal

#endif  // BULKHEAD_SANDBOX_SANDBOX_POLICY_FILES_H_
