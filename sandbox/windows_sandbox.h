// Windows confinement primitives for a helper launched the way Chrome launches
// its sandboxed children: a restricted, low-integrity primary token, a job
// object with limits, and process mitigation policies. The launcher
// (host/launch/sandboxed_launcher_win.cc) creates the process suspended with
// the token, assigns it to the job and resumes it.
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
#include <string>

#include "absl/status/statusor.h"
#include "common/platform_handle.h"

namespace bulkhead::sandbox {

// A primary token for a helper, derived from this process's token (so that
// CreateProcessAsUserW needs no privilege):
//   - every privilege removed but SeChangeNotify (DISABLE_MAX_PRIVILEGE);
//   - every group deny-only (it can only deny access) except Everyone, Users,
//     Interactive, Authenticated Users and the logon SID; so Administrators
//     and the user's domain groups are deny-only;
//   - restricting SIDs: the user, those same five groups and RESTRICTED
//     (S-1-5-12); every access check must pass for them too;
//   - the user and RESTRICTED in its default DACL, so that the helper can use
//     the objects it creates;
//   - low integrity (mandatory label S-1-16-4096): no writing up to Medium
//     objects (the user's files, registry, other processes).
// The restricting set keeps the user SID, like Chrome's initial
// USER_RESTRICTED_SAME_ACCESS token, so that the helper can load its own
// binary from a folder only the user may read; Chrome's later lockdown (a
// token with no usable SIDs, applied after start-up) needs the helper's
// co-operation and is not done here.
absl::StatusOr<ScopedHandle> CreateRestrictedHelperToken();

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
// corruption terminates, bottom-up and high-entropy ASLR.
uint64_t HelperMitigationPolicy();

// Wine's version ("8.0") when this process runs under Wine (ntdll exports
// wine_get_version), where the calls above succeed but are not all enforced;
// empty on Windows.
std::string WineVersion();

}  // namespace bulkhead::sandbox

#endif  // BULKHEAD_SANDBOX_WINDOWS_SANDBOX_H_
