// Internal to bulkhead (not installed; exported for its tests in a shared
// build): how a role's SandboxPolicy confines a helper on Windows, at
// Chrome's levels. Portable: compiled and unit-tested on every platform; the
// host's launcher (host/launch/sandboxed_launcher_win.cc) and the helper's
// lockdown (sandbox/lockdown_win.cc) apply it with windows_sandbox.h.
//
// The mapping (Chrome's levels; which role gets which is ours):
//   - Token. kLockdown, Chrome's renderer level (USER_LOCKDOWN), for a role
//     with no network (ReachesHostNetwork false) and some layer on (a policy
//     with every layer off never locks down, so could not drop its start-up
//     token): every group and the user deny-only, and its one restricting SID
//     the NULL SID, which no DACL grants anything, so once it is in force the
//     helper opens no securable object by name: not the user's files, not a
//     socket, not another process. (Objects with no DACL at all, files on
//     volumes without ACLs, and handles it opened before stay reachable.)
//     Files reach it through the file broker and pre-opened files, as
//     handles the host opened; its filesystem view decides nothing here
//     (Windows enforces none). This includes the gpu preset, which Chrome
//     runs at USER_LIMITED for its drivers' sake; ours has none. Such a
//     token cannot load the helper's own DLLs, so, as Chrome does, the
//     helper's first thread starts on an impersonation token of the
//     kLimited level and drops it (RevertToSelf) in its lockdown, before it
//     reports Ready.
//     kLimited otherwise (the host's network): every group deny-only but
//     Everyone, Users, Interactive, Authenticated Users and the logon SID;
//     restricting SIDs the user, those groups and RESTRICTED. With the user
//     among them it is Chrome's USER_INTERACTIVE rather than USER_LIMITED:
//     the user's files stay readable.
//   - Integrity: low at launch for both. A kLockdown helper lowers itself to
//     untrusted in its lockdown (Chrome's delayed integrity level): it then
//     writes nothing labelled low, which is everything a low process could.
//   - Job: kill on close, die on an unhandled exception, every UI
//     restriction; one active process (the helper starts none) unless the
//     allowlist forks (AllowsFork), then the policy's process limit (0: none);
//     the launch's memory limit, else the policy's address-space limit.
//   - Desktop: every sandboxed helper runs on an alternate desktop of the
//     host's (one per host process, on its window station; Chrome also
//     gives its desktop a window station of its own), so it cannot send
//     input to or read the windows of the user's desktop.
//   - Mitigations: strict handle checks, no extension points, no remote or
//     low-label images, heap termination, bottom-up and high-entropy ASLR for
//     every helper; for kLockdown also no non-system fonts and system32
//     first for images.
// Not done: an AppContainer (Chrome's renderer runs without one unless a
// feature turns it on; the lockdown token is what keeps files and network
// from it) and win32k lockdown (the runtime's libuv loads user32).
#ifndef BULKHEAD_SANDBOX_WINDOWS_CONFINEMENT_H_
#define BULKHEAD_SANDBOX_WINDOWS_CONFINEMENT_H_

#include <cstdint>

#include "bulkhead/export.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {

enum class WindowsTokenLevel { kLimited, kLockdown };
enum class WindowsIntegrity { kLow, kUntrusted };

// "limited", "lockdown"; "low", "untrusted": for the probe and tables.
BULKHEAD_EXPORT const char* WindowsTokenLevelName(WindowsTokenLevel level);
BULKHEAD_EXPORT const char* WindowsIntegrityName(WindowsIntegrity integrity);

struct WindowsConfinement {
  WindowsTokenLevel token = WindowsTokenLevel::kLimited;
  // The integrity the helper runs at once its lockdown is done (it is
  // launched at kLow).
  WindowsIntegrity integrity = WindowsIntegrity::kLow;
  // Processes the job may hold at once (0: no limit); 1: the helper alone.
  uint32_t active_processes = 1;
  // The job's per-process committed memory limit (0: none).
  uint64_t memory_limit_bytes = 0;
  bool alternate_desktop = true;
  // The kLockdown mitigations above (fonts, system32 first).
  bool strict_mitigations = false;

  bool operator==(const WindowsConfinement&) const = default;
};

// The confinement of a helper with `policy`, launched with
// `launch_memory_limit_bytes` (LaunchOptions::memory_limit_bytes, 0: none).
// The same in the host and in the helper, which rebuilds its policy from the
// Welcome: the host sends its ReachesHostNetwork and AllowsFork answers
// (helper/sandbox_settings.h) beside the layers.
BULKHEAD_EXPORT WindowsConfinement WindowsConfinementFor(
    const SandboxPolicy& policy, uint64_t launch_memory_limit_bytes);

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_WINDOWS_CONFINEMENT_H_
