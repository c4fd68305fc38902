// Switches on the command line of a helper, shared by the host that writes them
// and the helper that reads them (Chromium's content_switches, in small).
#ifndef BULKHEAD_COMMON_SWITCHES_H_
#define BULKHEAD_COMMON_SWITCHES_H_

namespace bulkhead::switches {

// The role a helper runs as, e.g. `--type=renderer`. Its absence means "this is
// the host".
inline constexpr char kType[] = "type";
// The inherited file descriptor (or handle number) of the helper's end of the
// channel.
inline constexpr char kIpcFd[] = "ipc-fd";
// Windows, sandboxed launch: the value of the inherited pipe HANDLE that is the
// helper's end of the channel (instead of a C runtime fd in --ipc-fd).
inline constexpr char kIpcHandle[] = "ipc-handle";
// The inherited fd (or handle) the helper's crash handler writes to.
inline constexpr char kCrashFd[] = "crash-fd";
// POSIX: the inherited fd of the helper's end of the channel's handle
// transport (ipc/handle_transport.h).
inline constexpr char kHandleFd[] = "handle-fd";
// Windows: the channel passes handles, which the host duplicates into and out
// of the helper (ipc/handle_transport.h); no value.
inline constexpr char kHandlesBrokered[] = "handles-brokered";
// The helper's memory limit in bytes, applied by the helper at start.
inline constexpr char kMemoryLimit[] = "memory-limit";
// How long the helper waits for the host's Welcome after its Hello, in
// milliseconds (the host's handshake timeout); 10 s without it.
inline constexpr char kHandshakeTimeoutMs[] = "handshake-timeout-ms";
// Tests of the sandbox (browser_host crash-test's escape case): before its
// lockdown the helper opens one descriptor of each kind and starts a thread,
// for the escape suite to try through afterwards
// (helper/diagnostics/escape_attempts.h); no value.
inline constexpr char kEscapeBait[] = "escape-bait";
// The host's id for this helper instance, echoed in Hello.
inline constexpr char kHelperId[] = "helper-id";
// The `--type` of a zygote (helper/zygote.h): reserved, never a role's name.
inline constexpr char kZygoteType[] = "zygote";
// A zygote's padding: room in its argv for each forked helper's command line,
// which the helper writes over it so that ps and /proc/<pid>/cmdline show it.
inline constexpr char kZygoteTitleSpace[] = "zygote-title-space";
// A zygote that runs inside a sandbox's namespaces (host/launch/
// sandbox_zygote_linux.h): it forks with CLONE_PARENT|CLONE_PIDFD and sends
// each helper's pidfd with its pid; no value.
inline constexpr char kSandboxedZygote[] = "sandboxed-zygote";

}  // namespace bulkhead::switches

#endif  // BULKHEAD_COMMON_SWITCHES_H_
