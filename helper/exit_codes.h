// Exit codes with a meaning the host recognises. Everything else a helper
// returns is the role's own business and is reported as an error exit with that
// code.
#ifndef BULKHEAD_HELPER_EXIT_CODES_H_
#define BULKHEAD_HELPER_EXIT_CODES_H_

namespace bulkhead {

// Bad command line (unknown --type, missing or bad --ipc-fd, ...), as for any
// CLI tool.
inline constexpr int kExitUsage = 2;
// The host's Hello/Welcome handshake failed or timed out.
inline constexpr int kExitHandshakeFailed = 80;
// The channel to the host closed without a Shutdown: the host is gone.
inline constexpr int kExitChannelLost = 81;
// The host sent something that broke the protocol.
inline constexpr int kExitProtocolViolation = 82;
// An allocation failed (the helper hit its memory limit).
inline constexpr int kExitOutOfMemory = 83;
// The `oom` fault allocated twice its memory limit without failing: the limit
// is not enforced here (e.g. job limits under Wine). Exits rather than take
// the machine down.
inline constexpr int kExitMemoryLimitNotEnforced = 84;
// A required sandbox layer could not be applied before Ready: the helper
// refuses to run unconfined (the reason is on its stderr).
inline constexpr int kExitSandboxFailed = 85;

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_EXIT_CODES_H_
