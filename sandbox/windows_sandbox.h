// Windows confinement primitives for a helper launched the way Chrome launches
// its sandboxed children: a restricted, low-integrity primary token at the
// role's level (windows_confinement.h), with an impersonation token for
// start-up where that level is lockdown, a job object with limits, an
// alternate desktop, and process mitigation policies. The launcher
// (host/launch/sandboxed_launcher_win.cc) creates the process suspended with
// the token on that desktop, gives its first thread the start-up token,
// assigns it to the job and resumes it; the helper's lockdown
// (lockdown_win.cc) lowers its integrity and drops the start-up token before
// it reports Ready.
//
// Windows only: the definitions are in windows_sandbox_win.cc. Every handle
// returned is owned by the caller. Errors carry the Win32 error code and the
// call that failed. Thread-safe (no shared state).
//
// Wine (seen with 8.0) accepts every call here but applies only part of it:
// deny-only groups are applied (and enforced), while DISABLE_MAX_PRIVILEGE,
// restricting SIDs, the integrity label and the UI restrictions are accepted
// and dropped. The helper's sandbox probe reports what really is in force.
#ifndef BULKHEAD_SANDBOX_WINDOWS_SANDBOX_H_
#define BULKHEAD_SANDBOX_WINDOWS_SANDBOX_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/platform_handle.h"
#include "sandbox/windows_confinement.h"

namespace bulkhead::sandbox {

// A primary token for a helper, derived from this process's token (so that
// CreateProcessAsUserW needs no privilege), at `level`
// (windows_confinement.h):
//   - every privilege removed but SeChangeNotify (DISABLE_MAX_PRIVILEGE);
//   - kLimited: every group deny-only (it can only deny access) except
//     Everyone, Users, Interactive, Authenticated Users and the logon SID; so
//     Administrators and the user's domain groups are deny-only. Restricting
//     SIDs: the user, those same five groups and RESTRICTED (S-1-5-12); every
//     access check must pass for them too. Like Chrome's
//     USER_RESTRICTED_SAME_ACCESS/USER_LIMITED, the helper can still load its
//     own binary from a folder only the user may read.
//   - kLockdown: every group and the user deny-only; the one restricting SID
//     is the NULL SID (S-1-0-0), which no DACL grants anything (Chrome's
//     USER_LOCKDOWN). Nothing can be opened by name with it, the helper's own
//     DLLs included: launch such a helper with a kLimited impersonation token
//     on its first thread (CreateImpersonationToken) that it drops before it
//     runs untrusted code (DropStartupToken).
//   - the user and RESTRICTED in its default DACL, so that the helper can use
//     the objects it creates;
//   - low integrity (mandatory label S-1-16-4096): no writing up to Medium
//     objects (the user's files, registry, other processes).
absl::StatusOr<ScopedHandle> CreateRestrictedHelperToken(
    WindowsTokenLevel level);

// An impersonation copy of the primary token `token` (query and impersonate
// access), for SetThreadToken on a helper's suspended first thread.
absl::StatusOr<ScopedHandle> CreateImpersonationToken(HANDLE token);

// Sets `token`'s mandatory integrity label (TOKEN_ADJUST_DEFAULT access).
absl::Status SetTokenIntegrity(HANDLE token, WindowsIntegrity integrity);

// In the helper. Lowers this process's own token to `integrity` (Chrome's
// delayed integrity level); a process may lower its label, never raise it.
// Call it before DropStartupToken: opening the process token for adjusting
// is checked against the thread's token, which the lockdown token would fail.
absl::Status LowerProcessIntegrity(WindowsIntegrity integrity);

// Whether the calling thread impersonates (has a token of its own), even one
// it may not open.
bool ThreadHasToken();

// In the helper. Ends the calling thread's impersonation (RevertToSelf,
// always), so that it runs on its process's token from then on, and checks
// that it does: true when there was a token to drop, false when there was
// none. Only the calling thread: the helper's lockdown runs on its first
// thread, the one the launcher gave the token.
absl::StatusOr<bool> DropStartupToken();

// Whether DropStartupToken has dropped a token in this process (for the
// probe: a helper that never had one and one that dropped it both run on
// their process token afterwards).
bool StartupTokenDropped();

// An alternate desktop on this process's window station, where sandboxed
// helpers run (STARTUPINFO.lpDesktop = path()): a window there cannot be
// reached from, or send input to, the user's desktop. Made as Chrome makes
// its own: the DACL of the host's desktop (the default one where the host
// may not read it), Chrome's deny mask for RESTRICTED (hooks, journaling,
// menus, windows, switching, the DACL), and an untrusted integrity label so
// that low and untrusted helpers may use it. Every helper has RESTRICTED
// among its restricting SIDs (the limited token; the lockdown level's
// start-up token), so no helper can make a window there, not even a
// message-only one (COM's single-threaded apartments need one). Closed
// (CloseDesktop) when destroyed; helpers still on it keep it alive.
class AlternateDesktop {
 public:
  // "bulkhead-<pid>" on the current window station.
  static absl::StatusOr<std::unique_ptr<AlternateDesktop>> Create();
  ~AlternateDesktop();
  AlternateDesktop(const AlternateDesktop&) = delete;
  AlternateDesktop& operator=(const AlternateDesktop&) = delete;

  // "WinSta0\\bulkhead-1234": what STARTUPINFO.lpDesktop takes.
  const std::wstring& path() const { return path_; }

 private:
  AlternateDesktop(void* desktop, std::wstring path)
      : desktop_(desktop), path_(std::move(path)) {}
  void* desktop_;  // HDESK.
  std::wstring path_;
};

// The name prefix of every AlternateDesktop ("bulkhead-"), for the probe.
inline constexpr char kAlternateDesktopPrefix[] = "bulkhead-";

struct JobLimits {
  // The helper's committed memory limit in bytes (JOB_OBJECT_LIMIT_PROCESS_
  // MEMORY); 0: none.
  uint64_t memory_limit_bytes = 0;
  // Processes the job may hold at once: 1 means the helper cannot start any.
  uint32_t active_processes = 1;
};

// A job object for one helper: kill on job close (the helper dies with the
// last handle to its job, so with the host), the limits above, die on an
// unhandled exception (no error dialog), and UI restrictions (desktop, display
// settings, exit windows, global atoms, USER handles, clipboard read/write,
// system parameters).
absl::StatusOr<ScopedHandle> CreateHelperJob(const JobLimits& limits);

// PROCESS_CREATION_MITIGATION_POLICY_* flags for a helper, for
// PROC_THREAD_ATTRIBUTE_MITIGATION_POLICY: strict handle checks, no extension
// point DLLs, no images from remote shares or with a low label, heap
// corruption terminates, bottom-up and high-entropy ASLR; with `strict`
// (WindowsConfinement::strict_mitigations) also no non-system fonts and
// images from system32 first.
uint64_t HelperMitigationPolicy(bool strict);

// Wine's version ("8.0") when this process runs under Wine (ntdll exports
// wine_get_version), where the calls above succeed but are not all enforced;
// empty on Windows.
std::string WineVersion();

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_WINDOWS_SANDBOX_H_
