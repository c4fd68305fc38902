// What a helper is launched as: the part of the launcher's interface that the
// public HelperProcess::Options and Host::Options show (launcher.h itself is
// internal and not installed).
#ifndef BULKHEAD_HOST_LAUNCH_LAUNCH_OPTIONS_H_
#define BULKHEAD_HOST_LAUNCH_LAUNCH_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {

struct LaunchOptions {
  // Empty: the running executable (uv_exepath), which is how "same binary, many
  // roles" works.
  std::string executable;
  std::string role;
  uint64_t helper_id = 0;
  // How long the helper waits for the host's Welcome after its Hello
  // (--handshake-timeout-ms); zero for the helper's own default, 10 s.
  absl::Duration handshake_timeout = absl::ZeroDuration();
  // Appended after bulkhead's own switches.
  std::vector<std::string> extra_args;
  // Launch inside the platform's sandbox (sandboxed_launcher.h); false runs
  // the helper as an ordinary child process.
  bool sandboxed = false;
  // What the helper's environment names, on every launch path: "NAME=value"
  // sets, "NAME" passes the host's value when it has one. It gets these and
  // the variables its runtime needs, nothing else of the host's
  // (helper_environment.h).
  std::vector<std::string> environment;
  // The helper's memory limit in bytes (0: none).
  uint64_t memory_limit_bytes = 0;
  // Sandboxed launch on Linux: which namespaces to create and the cgroup's
  // limits (the rest of the policy is applied by the helper itself, see
  // sandbox/lockdown.h).
  sandbox::SandboxPolicy sandbox_policy;
};

// Whether StartSandboxedSpawn (sandboxed_launcher.h) works on this platform:
// the default of Host::Options::sandbox_helpers.
BULKHEAD_EXPORT bool SandboxedLaunchAvailable();

// Whether unsandboxed helpers can be forked from a zygote here (Linux 5.4 and
// later, for pidfds; not under ThreadSanitizer): what
// Host::Options::fork_helpers_from_zygote does.
BULKHEAD_EXPORT bool ZygoteAvailable();

// The default of Host::Options::fork_sandboxed_helpers: whether sandboxed
// helpers can be forked from a zygote per sandbox shape here (Linux with
// pidfds, not under ThreadSanitizer; host/launch/sandbox_zygote.h), unless
// the environment variable BULKHEAD_SANDBOXED_ZYGOTE is "0" (it then says
// exec, as the test suites' `.execd` runs do; "1" forks where available).
BULKHEAD_EXPORT bool ForkSandboxedHelpersByDefault();

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_LAUNCH_OPTIONS_H_
