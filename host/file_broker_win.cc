// The file broker's opens on Windows: each component must be a name Win32
// leaves as it is (no trailing dot or space, no backslash, stream or device
// name); each directory on the way is opened as itself and refused if it is
// a reparse point (junction, symbolic link), before anything is created or
// truncated; then CreateFileW on the whole path with
// FILE_FLAG_OPEN_REPARSE_POINT (a reparse point at the end is opened as
// itself, then refused), and the path the handle really reached
// (GetFinalPathNameByHandleW) must still lie beneath the rule's directory as
// it resolves.
#include <fcntl.h>
#include <windows.h>

#include <cctype>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/os_error.h"
#include "host/file_broker.h"
#include "sandbox/sandbox_policy_files.h"

namespace bulkhead {
namespace {

absl::StatusOr<std::wstring> FinalPath(HANDLE handle) {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    const DWORD length = ::GetFinalPathNameByHandleW(
        handle, path.data(), static_cast<DWORD>(path.size()),
        FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    if (length == 0) return LastWinErrorToStatus("GetFinalPathNameByHandleW");
    if (length < path.size()) {
      path.resize(length);
      return path;
    }
    path.resize(length + 1);
  }
}

// "\\?\C:\dir" -> "C:\dir", as the rules spell paths.
std::string PlainPath(const std::wstring& wide) {
  std::wstring path = wide;
  if (path.rfind(L"\\\\?\\", 0) == 0) path = path.substr(4);
  const int size = ::WideCharToMultiByte(CP_UTF8, 0, path.data(),
                                         static_cast<int>(path.size()), nullptr,
                                         0, nullptr, nullptr);
  std::string utf8(static_cast<size_t>(size > 0 ? size : 0), '\0');
  if (size > 0) {
    ::WideCharToMultiByte(CP_UTF8, 0, path.data(),
                          static_cast<int>(path.size()), utf8.data(), size,
                          nullptr, nullptr);
  }
  return utf8;
}

std::wstring Wide(const std::string& utf8) {
  const int size = ::MultiByteToWideChar(
      CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring wide(static_cast<size_t>(size > 0 ? size : 0), L'\0');
  if (size > 0) {
    ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(),
                          static_cast<int>(utf8.size()), wide.data(), size);
  }
  return wide;
}

absl::StatusOr<ScopedHandle> OpenAt(const std::string& path, int flags,
                                    bool directory) {
  DWORD access = GENERIC_READ;
  const int mode = flags & (_O_RDONLY | _O_WRONLY | _O_RDWR);
  if (mode == _O_WRONLY) access = GENERIC_WRITE;
  if (mode == _O_RDWR) access = GENERIC_READ | GENERIC_WRITE;
  if ((flags & _O_APPEND) != 0) access |= FILE_APPEND_DATA;
  DWORD disposition = OPEN_EXISTING;
  if ((flags & _O_CREAT) != 0) {
    disposition = (flags & _O_EXCL) != 0    ? CREATE_NEW
                  : (flags & _O_TRUNC) != 0 ? CREATE_ALWAYS
                                            : OPEN_ALWAYS;
  } else if ((flags & _O_TRUNC) != 0) {
    disposition = TRUNCATE_EXISTING;
  }
  const std::wstring wide = Wide(path);
  if (wide.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not UTF-8"));
  }
  HANDLE handle =
      ::CreateFileW(wide.c_str(), directory ? FILE_READ_ATTRIBUTES : access,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    nullptr, directory ? OPEN_EXISTING : disposition,
                    FILE_FLAG_OPEN_REPARSE_POINT |
                        (directory ? FILE_FLAG_BACKUP_SEMANTICS : 0),
                    nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    return LastWinErrorToStatus(absl::StrCat("CreateFileW ", path));
  }
  return ScopedHandle(handle);
}

// CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension and in any case:
// Win32 opens the device wherever the name appears.
bool IsDeviceName(const std::string& part) {
  std::string stem = part.substr(0, part.find('.'));
  while (!stem.empty() && stem.back() == ' ') stem.pop_back();
  for (char& c : stem) c = static_cast<char>(std::toupper(c));
  if (stem == "CON" || stem == "PRN" || stem == "AUX" || stem == "NUL") {
    return true;
  }
  return stem.size() == 4 &&
         (stem.rfind("COM", 0) == 0 || stem.rfind("LPT", 0) == 0) &&
         stem[3] >= '1' && stem[3] <= '9';
}

}  // namespace

void ForceBrokerComponentWalkForTesting(bool) {}

absl::StatusOr<ScopedHandle> OpenBeneath(
    absl::string_view dir, const std::vector<std::string>& components,
    int flags) {
  if (components.empty()) {
    return absl::PermissionDeniedError("file broker: no file named");
  }
  // Each component must name itself on the disk as written: Win32 would
  // otherwise rewrite it before CreateFileW creates or truncates anything,
  // and the check that the file reached lies beneath the rule's directory
  // comes after that.
  for (const std::string& part : components) {
    // An alternate data stream ("file:stream") or a device name trick.
    if (part.find(':') != std::string::npos) {
      return absl::PermissionDeniedError(
          absl::StrCat("file broker: '", part, "' names a stream"));
    }
    // A second separator inside a component ("..\\x" arrives as one).
    if (part.find('\\') != std::string::npos) {
      return absl::PermissionDeniedError(absl::StrCat(
          "file broker: '", part, "' holds a backslash, a separator here"));
    }
    // Win32 drops trailing dots and spaces: ".. " would become "..".
    if (part.back() == '.' || part.back() == ' ') {
      return absl::PermissionDeniedError(
          absl::StrCat("file broker: '", part,
                       "' ends in a dot or a space, which Windows drops"));
    }
    if (IsDeviceName(part)) {
      return absl::PermissionDeniedError(
          absl::StrCat("file broker: '", part, "' names a device"));
    }
  }
  std::string base(dir);
  if (base.back() != '\\' && base.back() != '/') base += '\\';
  const std::string path = base + absl::StrJoin(components, "\\");
  absl::StatusOr<ScopedHandle> root = OpenAt(std::string(dir), 0, true);
  if (!root.ok()) return root.status();
  absl::StatusOr<std::wstring> root_final = FinalPath(root->get());
  if (!root_final.ok()) return root_final.status();
  // Every directory on the way is opened as itself first: a junction or
  // link among them is refused before CreateFileW may create or truncate the
  // file wherever it leads. (A directory swapped for one between this walk
  // and the open is caught by the final-path check below, after the fact;
  // the helper has no way to make one through the broker.)
  std::string walked = base;
  for (size_t i = 0; i + 1 < components.size(); ++i) {
    walked += components[i];
    absl::StatusOr<ScopedHandle> step = OpenAt(walked, 0, true);
    if (!step.ok()) return step.status();
    BY_HANDLE_FILE_INFORMATION step_info;
    if (!::GetFileInformationByHandle(step->get(), &step_info)) {
      return LastWinErrorToStatus("GetFileInformationByHandle");
    }
    if ((step_info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0 ||
        (step_info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "file broker: '", walked,
          "' is a reparse point or no directory (never followed)"));
    }
    walked += '\\';
  }
  absl::StatusOr<ScopedHandle> file = OpenAt(path, flags, false);
  if (!file.ok()) return file.status();
  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(file->get(), &info)) {
    return LastWinErrorToStatus("GetFileInformationByHandle");
  }
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "file broker: '", path, "' is a reparse point (never followed)"));
  }
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 ||
      ::GetFileType(file->get()) != FILE_TYPE_DISK) {
    return absl::PermissionDeniedError(absl::StrCat(
        "file broker: '", path,
        "' is not a regular file (only regular files are opened)"));
  }
  absl::StatusOr<std::wstring> reached = FinalPath(file->get());
  if (!reached.ok()) return reached.status();
  if (!sandbox::internal::PathIsWithin(PlainPath(*reached),
                                       PlainPath(*root_final))) {
    return absl::PermissionDeniedError(absl::StrCat(
        "file broker: '", path,
        "' leads out of the rule's directory (a junction or link on the "
        "way)"));
  }
  return file;
}

absl::StatusOr<ScopedHandle> OpenPreopenedFile(
    const sandbox::PreopenedFile& file, bool sandboxed) {
  absl::StatusOr<ScopedHandle> handle =
      OpenAt(file.path, file.write ? _O_RDWR : _O_RDONLY, false);
  if (!handle.ok()) {
    return absl::Status(handle.status().code(),
                        absl::StrCat("pre-opened file '", file.name,
                                     "': ", handle.status().message()));
  }
  if (absl::Status fit = CheckHandleForHelper(handle->get(), sandboxed);
      !fit.ok()) {
    return absl::Status(fit.code(),
                        absl::StrCat("pre-opened file '", file.name, "' (",
                                     file.path, "): ", fit.message()));
  }
  return handle;
}

absl::Status CheckHandleForHelper(NativeHandle handle, bool sandboxed) {
  BY_HANDLE_FILE_INFORMATION info;
  if (sandboxed && ::GetFileInformationByHandle(handle, &info) &&
      (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    return absl::FailedPreconditionError(
        "a directory cannot be handed to a sandboxed helper");
  }
  return absl::OkStatus();
}

}  // namespace bulkhead
