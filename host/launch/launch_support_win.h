// The Windows pieces a launch is made of, for the sandboxed launcher
// (sandboxed_launcher_win.cc): UTF-8 to UTF-16, inheritable handles and
// pipes, the C runtime's inherited-fd block, and PROC_THREAD_ATTRIBUTE_LIST.
#ifndef BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_WIN_H_
#define BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_WIN_H_

// uv.h first: it includes winsock2.h, which must precede windows.h.
#include <uv.h>
#include <windows.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/platform_handle.h"
#include "sandbox/windows_token_win.h"

namespace bulkhead {

absl::StatusOr<std::wstring> Utf8ToWide(const std::string& utf8);

// A CreateProcess environment block (CREATE_UNICODE_ENVIRONMENT) holding
// exactly `variables` ("NAME=value"), sorted by name as Windows expects.
// InvalidArgument for a variable that is not valid UTF-8.
absl::StatusOr<std::wstring> EnvironmentBlock(
    const std::vector<std::string>& variables);

absl::Status MakeInheritable(const ScopedHandle& handle, const char* what);

// The NUL device, inheritable.
absl::StatusOr<ScopedHandle> OpenNul(DWORD access);

// An inheritable duplicate of this process's standard handle `which`, or NUL
// when it has none (a GUI host, a closed stream).
absl::StatusOr<ScopedHandle> InheritableStdHandle(DWORD which);

struct PipeEnds {
  ScopedHandle read;
  ScopedHandle write;
};

// An anonymous pipe the helper writes to (stdout, stderr, crash records): its
// end is made inheritable, the host's is not.
absl::StatusOr<PipeEnds> CreateOutputPipe(const char* what);

// Hands `handle` to libuv as `pipe`'s stream; libuv owns it from then on.
absl::Status OpenInLibuv(uv_pipe_t* pipe, ScopedHandle handle,
                         const char* what);

// The block the C runtime reads from STARTUPINFO.lpReserved2 at start-up to
// recreate its fds (the format uv_spawn writes too): a count, one flag byte
// per fd, then one unaligned HANDLE per fd.
class CrtFdTable {
 public:
  explicit CrtFdTable(int count);
  // `handle` becomes fd `fd` in the child.
  void Set(int fd, HANDLE handle);
  void AttachTo(STARTUPINFOW& info);

 private:
  std::vector<char> buffer_;
  const int count_;
};

class AttributeList {
 public:
  AttributeList() = default;
  AttributeList(const AttributeList&) = delete;
  AttributeList& operator=(const AttributeList&) = delete;
  ~AttributeList();

  absl::Status Init(DWORD count);
  // `value` must outlive the list's use in CreateProcess.
  absl::Status Update(DWORD_PTR attribute, void* value, size_t size,
                      const char* what);
  LPPROC_THREAD_ATTRIBUTE_LIST get() {
    return reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data());
  }

 private:
  std::vector<uint64_t> storage_;
  bool initialized_ = false;
};

// The security of a sandboxed helper's process and thread objects, for
// CreateProcessAsUserW: a DACL granting the host's user and SYSTEM, and a
// mandatory label at the host's own integrity with no read-up and no
// write-up. A helper runs at low or untrusted integrity, so no helper can
// open another's process or thread to read or write it, whatever SIDs its
// token shares with the host's (the limited level's has the user); the host
// keeps the handles CreateProcess returns and may open them by pid too. A
// process always reaches itself through GetCurrentProcess().
class HelperObjectSecurity {
 public:
  static absl::StatusOr<std::unique_ptr<HelperObjectSecurity>> Create();
  HelperObjectSecurity(const HelperObjectSecurity&) = delete;
  HelperObjectSecurity& operator=(const HelperObjectSecurity&) = delete;

  // For lpProcessAttributes and lpThreadAttributes (not inheritable).
  SECURITY_ATTRIBUTES* attributes() { return &attributes_; }

 private:
  HelperObjectSecurity() = default;
  std::vector<uint64_t> user_;  // TOKEN_USER.
  alignas(SID) BYTE system_[SECURITY_MAX_SID_SIZE] = {};
  std::optional<sandbox::IntegrityLabelSid> label_;
  alignas(ACL) BYTE dacl_[256] = {};
  alignas(ACL) BYTE sacl_[128] = {};
  SECURITY_DESCRIPTOR descriptor_ = {};
  SECURITY_ATTRIBUTES attributes_ = {};
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_LAUNCH_SUPPORT_WIN_H_
