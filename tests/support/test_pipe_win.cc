#include <windows.h>

#include "common/os_error.h"
#include "tests/support/test_pipe.h"

namespace bulkhead::testing {

absl::StatusOr<TestPipe> MakeTestPipe() {
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!::CreatePipe(&read, &write, nullptr, 0)) {
    return LastWinErrorToStatus("CreatePipe");
  }
  return TestPipe{ScopedHandle(read), ScopedHandle(write)};
}

absl::Status WriteAll(NativeHandle handle, absl::string_view bytes) {
  while (!bytes.empty()) {
    DWORD written = 0;
    if (!::WriteFile(handle, bytes.data(), static_cast<DWORD>(bytes.size()),
                     &written, nullptr) ||
        written == 0) {
      return LastWinErrorToStatus("WriteFile");
    }
    bytes.remove_prefix(written);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSome(NativeHandle handle, size_t max) {
  std::string bytes(max, '\0');
  DWORD read = 0;
  if (!::ReadFile(handle, bytes.data(), static_cast<DWORD>(bytes.size()), &read,
                  nullptr)) {
    // Every write end closed: end of file.
    if (::GetLastError() == ERROR_BROKEN_PIPE) return std::string();
    return LastWinErrorToStatus("ReadFile");
  }
  bytes.resize(read);
  return bytes;
}

ScopedHandle DuplicateOfStderr() {
  HANDLE copy = nullptr;
  if (!::DuplicateHandle(
          ::GetCurrentProcess(), ::GetStdHandle(STD_ERROR_HANDLE),
          ::GetCurrentProcess(), &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    return ScopedHandle();
  }
  return ScopedHandle(copy);
}

}  // namespace bulkhead::testing
