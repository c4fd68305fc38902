// macOS: the helper confines itself with a seatbelt profile made from its
// policy (seatbelt_profile.h), applied by `sandbox_init_with_parameters`, the
// call Chromium's sandbox/mac/seatbelt.cc makes. sandbox_init(3) confines
// the calling process, not a thread, so unlike Linux there is no
// single-thread check.
//
// UNVERIFIED: no Mac has compiled or run this file; only the profile's text
// is tested (tests/sandbox/seatbelt_profile_test.cc, on every platform).
//
// Wired to every sandboxed launch: HelperLocksItselfDown() is true, so the
// host sends SandboxSettings (no seccomp program: LockdownAvailable() is
// false here) and the helper calls LockDown before it reports Ready. The
// network and fork follow the host's answers in SandboxSettings
// (reaches_host_network, forks; helper/sandbox_settings.cc rebuilds both).
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <climits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "sandbox/lockdown.h"
#include "sandbox/seatbelt_profile.h"

// <sandbox.h> does not declare the first (Chromium's seatbelt.cc declares it
// the same way) and marks the second deprecated, so both are declared here
// and the header is not included. `parameters` is a NULL-terminated list of
// name, value, name, value, ...; `flags` 0 means `profile` is SBPL source.
// On failure `*errorbuf` is set, to be freed with sandbox_free_error.
extern "C" int sandbox_init_with_parameters(const char* profile, uint64_t flags,
                                            const char* const parameters[],
                                            char** errorbuf);
extern "C" void sandbox_free_error(char* errorbuf);

namespace bulkhead::sandbox {

bool HelperLocksItselfDown() { return true; }

namespace {

// Written by LockDown on the helper's main thread before Ready, read by the
// probe on the same thread after it.
SeatbeltInForce in_force;

// A new directory for this helper's tmpfs entries, under the user's private
// temporary directory, with symlinks resolved (/var -> /private/var): the
// profile matches resolved paths. Nothing removes it when the helper ends
// (TODO(#18): the host should make it, pass its path, and remove it).
absl::StatusOr<std::string> MakeScratchDir() {
  char temp[PATH_MAX];
  const size_t length = ::confstr(_CS_DARWIN_USER_TEMP_DIR, temp, sizeof(temp));
  if (length == 0) {
    return LastPosixErrorToStatus("confstr(_CS_DARWIN_USER_TEMP_DIR)");
  }
  if (length > sizeof(temp)) {
    return absl::InternalError("confstr(_CS_DARWIN_USER_TEMP_DIR): too long");
  }
  std::string dir = temp;
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  absl::StrAppend(&dir, "/bulkhead-scratch.XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) {
    return LastPosixErrorToStatus(absl::StrCat("mkdtemp ", dir));
  }
  char* resolved = ::realpath(dir.c_str(), nullptr);
  if (resolved == nullptr) {
    return LastPosixErrorToStatus(absl::StrCat("realpath ", dir));
  }
  std::string result = resolved;
  ::free(resolved);
  return result;
}

}  // namespace

absl::StatusOr<std::vector<LayerOutcome>> LockDown(
    const LockdownRequest& request) {
  const SandboxPolicy& policy = request.policy;
  // As on Linux, where each layer off applies nothing: --no-sandbox.
  if (policy.disabled()) return std::vector<LayerOutcome>{};
  absl::StatusOr<std::string> profile = SeatbeltProfile(policy, ::getpid());
  if (!profile.ok()) return profile.status();
  std::string scratch;
  std::vector<const char*> parameters;
  if (SeatbeltProfileNeedsScratchDir(policy)) {
    absl::StatusOr<std::string> made = MakeScratchDir();
    if (!made.ok()) return made.status();
    scratch = *std::move(made);
    parameters.push_back(kSeatbeltScratchDirParameter);
    parameters.push_back(scratch.c_str());
  }
  parameters.push_back(nullptr);
  char* error = nullptr;
  const int result = ::sandbox_init_with_parameters(profile->c_str(), 0,
                                                    parameters.data(), &error);
  const std::string message = error != nullptr ? error : "no message";
  if (error != nullptr) ::sandbox_free_error(error);
  if (result != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("seatbelt: sandbox_init_with_parameters failed (", result,
                     "): ", message));
  }
  // The Layer list is Linux's; the seatbelt is none of them. The probe
  // (sandbox_probe_mac.cc) reads SeatbeltState instead.
  in_force.applied = true;
  in_force.host_network = ReachesHostNetwork(policy);
  return std::vector<LayerOutcome>{};
}

SeatbeltInForce SeatbeltState() { return in_force; }

}  // namespace bulkhead::sandbox
