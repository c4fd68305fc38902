// Converts OS error numbers to absl::Status once, at the edge of the OS.
#ifndef BULKHEAD_COMMON_OS_ERROR_H_
#define BULKHEAD_COMMON_OS_ERROR_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead {

// A Status for the POSIX `errno` value `error`, prefixed with what was being
// done, e.g. PosixErrorToStatus(EACCES, "open /x") -> PermissionDenied("open
// /x: Permission denied"). (Not named ErrnoToStatus: Debian's Abseil has one,
// and ADL would make calls ambiguous.)
BULKHEAD_EXPORT absl::Status PosixErrorToStatus(int error,
                                                absl::string_view what);

// Same, for the current `errno`.
BULKHEAD_EXPORT absl::Status LastPosixErrorToStatus(absl::string_view what);

// Windows only (os_error_win.cc): a Status for the Win32 error code `error`
// (GetLastError()), prefixed with what was being done and carrying the code,
// e.g. WinErrorToStatus(ERROR_ACCESS_DENIED, "CreateRestrictedToken") ->
// PermissionDenied("CreateRestrictedToken: Windows error 5: Access is
// denied."). OK for 0 (ERROR_SUCCESS).
BULKHEAD_EXPORT absl::Status WinErrorToStatus(uint32_t error,
                                              absl::string_view what);

// Windows only: same, for the calling thread's GetLastError().
BULKHEAD_EXPORT absl::Status LastWinErrorToStatus(absl::string_view what);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_OS_ERROR_H_
