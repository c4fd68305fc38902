// The environment a helper starts with, on every launch path (exec'd,
// forked by the zygote, sandboxed; Linux and Windows): a clean one. The host's
// own environment may hold secrets (tokens, keys, passwords), and a helper
// runs untrusted code, so it gets only
//   - the variables its runtime needs, from the host when the host has them:
//     LD_LIBRARY_PATH (POSIX: an exec'd helper is the host's own binary, and
//     the loader needs the search path the host was started with to load the
//     same shared libraries); the sanitizer runtimes' options (ASAN_OPTIONS,
//     LSAN_OPTIONS, UBSAN_OPTIONS, TSAN_OPTIONS, MSAN_OPTIONS: read only by a
//     sanitizer runtime, they make a helper report as the host does);
//     SystemRoot and windir (Windows: system DLLs, Winsock among them, find
//     their files through them);
//   - what the role's policy names (sandbox::SandboxPolicy::environment);
//   - what the launch names (Host::LaunchOverrides::environment), last, so
//     that it wins.
// Nothing else: not PATH, HOME, LANG or TMPDIR. A role that needs one names
// it ("PATH" passes the host's value). On Windows, an unsandboxed helper is
// started by libuv's uv_spawn, which adds the few variables Windows processes
// expect (PATH, SYSTEMDRIVE, TEMP, USERPROFILE, ... ) from the host when the
// block lacks them; the sandboxed launcher passes exactly this block.
#ifndef BULKHEAD_HOST_LAUNCH_HELPER_ENVIRONMENT_H_
#define BULKHEAD_HOST_LAUNCH_HELPER_ENVIRONMENT_H_

#include <string>
#include <vector>

namespace bulkhead {

// The names above that the runtime keeps, for this platform.
std::vector<std::string> RuntimeEnvironmentNames();

// The host's environment now, as "NAME=value" strings.
std::vector<std::string> HostEnvironment();

// The helper's environment as "NAME=value" strings, each name once: the
// runtime's variables from `host`, then `entries` in order ("NAME=value" sets,
// "NAME" passes `host`'s value when it has one, and a later entry for a name
// replaces an earlier one). `sandboxed`: in an AddressSanitizer build,
// LeakSanitizer is turned off (ASAN_OPTIONS gains detect_leaks=0): its
// exit-time check reads /proc and suspends threads, which the sandbox refuses,
// and it would fail every helper. Entries with an empty name are skipped
// (sandbox::CheckEnvironmentEntries refuses them earlier).
std::vector<std::string> HelperEnvironment(
    const std::vector<std::string>& entries,
    const std::vector<std::string>& host, bool sandboxed);

// The same, from the host's environment now.
std::vector<std::string> HelperEnvironment(
    const std::vector<std::string>& entries, bool sandboxed);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_HELPER_ENVIRONMENT_H_
