// The host's half of a helper's filesystem view (SandboxPolicy::filesystem):
// the check at launch, before anything is spawned, so that a view that cannot
// be built as written fails the launch with a Status naming the path instead
// of being silently narrowed or widened in the helper.
#ifndef BULKHEAD_SANDBOX_FILESYSTEM_VIEW_H_
#define BULKHEAD_SANDBOX_FILESYSTEM_VIEW_H_

#include <vector>

#include "absl/status/status.h"
#include "bulkhead/export.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {

// What Build() checks (InvalidArgument naming the path), then, on Linux,
// each read-only, read-write and device entry on the host's filesystem:
// NotFound for a path that does not exist; InvalidArgument for a path whose
// resolution goes through a symlink (any component, the last included) or a
// device entry that is not the character device its name says. A tmpfs needs
// no host path. Elsewhere only the first part: the view is not enforced there.
BULKHEAD_EXPORT absl::Status CheckFilesystemViewAtLaunch(
    const std::vector<FilesystemEntry>& view);

// The structural checks alone (Build() runs them): InvalidArgument naming the
// path, as SandboxPolicyBuilder::Build() documents.
BULKHEAD_EXPORT absl::Status CheckFilesystemView(
    const std::vector<FilesystemEntry>& view);

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_FILESYSTEM_VIEW_H_
