#include <windows.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/os_error.h"

namespace bulkhead {
namespace {

absl::StatusCode WinErrorToCode(DWORD error) {
  switch (error) {
    case ERROR_SUCCESS:
      return absl::StatusCode::kOk;
    case ERROR_INVALID_PARAMETER:
    case ERROR_INVALID_HANDLE:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME:
    case ERROR_BAD_EXE_FORMAT:
    case ERROR_FILENAME_EXCED_RANGE:
      return absl::StatusCode::kInvalidArgument;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_MOD_NOT_FOUND:
    case ERROR_PROC_NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
    case ERROR_PIPE_BUSY:
      return absl::StatusCode::kAlreadyExists;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
    case ERROR_WRITE_PROTECT:
      return absl::StatusCode::kPermissionDenied;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NOT_ENOUGH_QUOTA:
    case ERROR_TOO_MANY_OPEN_FILES:
    case ERROR_DISK_FULL:
      return absl::StatusCode::kResourceExhausted;
    case ERROR_CALL_NOT_IMPLEMENTED:
    case ERROR_NOT_SUPPORTED:
      return absl::StatusCode::kUnimplemented;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
      return absl::StatusCode::kUnavailable;
    case ERROR_TIMEOUT:
    case WAIT_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case ERROR_OPERATION_ABORTED:
    case ERROR_CANCELLED:
      return absl::StatusCode::kCancelled;
    default:
      return absl::StatusCode::kUnknown;
  }
}

// The system's text for `error`, without the trailing line break; empty when
// there is none.
std::string SystemMessage(DWORD error) {
  char* text = nullptr;
  const DWORD length = ::FormatMessageA(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
          FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, error, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
      reinterpret_cast<char*>(&text), 0, nullptr);
  std::string message = length == 0 ? "" : std::string(text, length);
  if (text != nullptr) ::LocalFree(text);
  absl::StripTrailingAsciiWhitespace(&message);
  return message;
}

}  // namespace

absl::Status WinErrorToStatus(uint32_t error, absl::string_view what) {
  if (error == ERROR_SUCCESS) return absl::OkStatus();
  const std::string text = SystemMessage(error);
  return absl::Status(WinErrorToCode(error),
                      absl::StrCat(what, ": Windows error ", error,
                                   text.empty() ? "" : ": ", text));
}

absl::Status LastWinErrorToStatus(absl::string_view what) {
  return WinErrorToStatus(::GetLastError(), what);
}

}  // namespace bulkhead
