#include <io.h>
#include <windows.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "common/platform_handle.h"

namespace bulkhead {

void ScopedHandle::reset(NativeHandle handle) {
  if (handle_ != kInvalidNativeHandle && handle_ != nullptr)
    ::CloseHandle(handle_);
  handle_ = handle;
}

// Windows has no socketpair: a duplex, overlapped named pipe with a unique name
// is the equivalent libuv can drive (it is what uv_pipe() builds, too).
absl::StatusOr<HandlePair> CreateStreamPair() {
  static std::atomic<unsigned> counter{0};
  const std::string name =
      absl::StrCat(R"(\\.\pipe\bulkhead-)", ::GetCurrentProcessId(), "-",
                   counter.fetch_add(1), "-", ::GetTickCount64());
  HANDLE server = ::CreateNamedPipeA(
      name.c_str(),
      PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 65536, 65536, 0,
      nullptr);
  if (server == INVALID_HANDLE_VALUE)
    return LastWinErrorToStatus("CreateNamedPipe");
  ScopedHandle first(server);
  HANDLE client =
      ::CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                    OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr);
  if (client == INVALID_HANDLE_VALUE)
    return LastWinErrorToStatus("CreateFile(pipe)");
  return HandlePair{std::move(first), ScopedHandle(client)};
}

// `number` is a C runtime fd that uv_spawn set up in this process (fd 3): take
// its HANDLE away from the CRT, so that exactly one owner closes it.
absl::StatusOr<ScopedHandle> AdoptInheritedStream(int64_t number) {
  if (number <= 2 || number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "fd ", number, " cannot be a channel (expected 3..65535)"));
  }
  const int fd = static_cast<int>(number);
  const intptr_t os_handle = ::_get_osfhandle(fd);
  if (os_handle == -1 || os_handle == -2) {
    return absl::InvalidArgumentError(absl::StrCat("fd ", fd, " is not open"));
  }
  HANDLE handle = reinterpret_cast<HANDLE>(os_handle);
  if (::GetFileType(handle) != FILE_TYPE_PIPE) {
    return absl::InvalidArgumentError(
        absl::StrCat("fd ", fd, " is not a pipe"));
  }
  HANDLE own = nullptr;
  if (!::DuplicateHandle(::GetCurrentProcess(), handle, ::GetCurrentProcess(),
                         &own, 0,
                         /*bInheritHandle=*/FALSE, DUPLICATE_SAME_ACCESS)) {
    return LastWinErrorToStatus("DuplicateHandle");
  }
  ::_close(fd);
  return ScopedHandle(own);
}

absl::StatusOr<ScopedHandle> AdoptInheritedHandle(uint64_t value) {
  HANDLE handle = reinterpret_cast<HANDLE>(static_cast<uintptr_t>(value));
  if (value == 0 || handle == INVALID_HANDLE_VALUE) {
    return absl::InvalidArgumentError(
        absl::StrCat("handle ", value, " cannot be a channel"));
  }
  DWORD flags = 0;
  if (!::GetHandleInformation(handle, &flags)) {
    return absl::InvalidArgumentError(
        absl::StrCat("handle ", value, " is not open"));
  }
  if (::GetFileType(handle) != FILE_TYPE_PIPE) {
    return absl::InvalidArgumentError(
        absl::StrCat("handle ", value, " is not a pipe"));
  }
  // Not inherited any further (by anything this helper might start).
  ::SetHandleInformation(handle, HANDLE_FLAG_INHERIT, 0);
  return ScopedHandle(handle);
}

absl::StatusOr<ScopedHandle> DuplicateNativeHandle(NativeHandle handle) {
  if (handle == nullptr || handle == INVALID_HANDLE_VALUE) {
    return absl::InvalidArgumentError("invalid handle");
  }
  HANDLE copy = nullptr;
  if (!::DuplicateHandle(::GetCurrentProcess(), handle, ::GetCurrentProcess(),
                         &copy, 0, /*bInheritHandle=*/FALSE,
                         DUPLICATE_SAME_ACCESS)) {
    return LastWinErrorToStatus("DuplicateHandle");
  }
  return ScopedHandle(copy);
}

}  // namespace bulkhead
