// Internal, Windows only: the token query and integrity-label SID that the
// sandbox (windows_sandbox_win.cc, sandbox_probe_win.cc) and the launcher
// (host/launch/launch_support_win.cc) all need. Inline: no export needed.
#ifndef BULKHEAD_SANDBOX_WINDOWS_TOKEN_WIN_H_
#define BULKHEAD_SANDBOX_WINDOWS_TOKEN_WIN_H_

#include <windows.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/os_error.h"

namespace bulkhead::sandbox {

// The variable-size GetTokenInformation result for `info_class`, in a buffer
// aligned for the structure it holds; an error naming `what`.
inline absl::StatusOr<std::vector<uint64_t>> QueryToken(
    HANDLE token, TOKEN_INFORMATION_CLASS info_class, const char* what) {
  DWORD size = 0;
  ::GetTokenInformation(token, info_class, nullptr, 0, &size);
  if (size == 0) return LastWinErrorToStatus(what);
  std::vector<uint64_t> buffer((size + sizeof(uint64_t) - 1) /
                               sizeof(uint64_t));
  if (!::GetTokenInformation(token, info_class, buffer.data(), size, &size)) {
    return LastWinErrorToStatus(what);
  }
  return buffer;
}

// The mandatory label S-1-16-<rid> in its own storage, made by hand: Wine's
// CreateWellKnownSid knows the low label but not the untrusted one.
class IntegrityLabelSid {
 public:
  explicit IntegrityLabelSid(DWORD rid) {
    SID_IDENTIFIER_AUTHORITY authority = SECURITY_MANDATORY_LABEL_AUTHORITY;
    ::InitializeSid(storage_, &authority, 1);
    *::GetSidSubAuthority(storage_, 0) = rid;
  }
  PSID get() { return storage_; }

 private:
  alignas(SID) BYTE storage_[SECURITY_MAX_SID_SIZE] = {};
};

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_WINDOWS_TOKEN_WIN_H_
