// No filesystem view is built here (the view is enforced on Linux only): the
// launch checks only what Build() checks.
#include "sandbox/filesystem_view.h"

namespace bulkhead::sandbox {

absl::Status CheckFilesystemViewAtLaunch(
    const std::vector<FilesystemEntry>& view) {
  return CheckFilesystemView(view);
}

}  // namespace bulkhead::sandbox
