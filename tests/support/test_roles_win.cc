// Windows-only test roles.
#include <windows.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "helper/helper_context.h"
#include "sample_roles/work.pb.h"
#include "tests/support/test_roles.h"

namespace bulkhead::testing {
namespace {

// Opens the process whose pid is the request's text for reading and writing
// its memory: OpenProcess's error as a status (access denied:
// PermissionDenied).
int ProcessOpenerMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        DWORD pid = 0;
        if (!absl::SimpleAtoi(request.text(), &pid)) {
          return absl::InvalidArgumentError("not a pid");
        }
        HANDLE process = ::OpenProcess(
            PROCESS_VM_READ | PROCESS_VM_WRITE | PROCESS_VM_OPERATION, FALSE,
            pid);
        if (process == nullptr) {
          return LastWinErrorToStatus(absl::StrCat("OpenProcess ", pid));
        }
        ::CloseHandle(process);
        return roles::LayoutTextResponse();
      });
  return context.Run();
}

}  // namespace

bool AddPlatformTestRoles(RoleRegistry& roles) {
  return roles.Add("process-opener", &ProcessOpenerMain).ok();
}

}  // namespace bulkhead::testing
