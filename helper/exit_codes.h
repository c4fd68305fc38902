// Exit codes with a meaning the host recognises. Everything else a helper
// returns is the role's own business and is reported as an error exit with that
// code.
//
// For app authors: codes 80 to 86 are reserved for Bulkhead's helper runtime;
// a role's main should not return them. The host never takes a helper's word
// for a kind: it reports 83 as out-of-memory only when it set the helper a
// memory limit, 85 as launch-failed only before Ready with lockdown
// requested, and 86 as launch-failed only before Ready; otherwise, and for 80,
// 81, 82 and 84, an error exit with the code, which then reads as the runtime's
// reason below. A role that returns 0 before its context's Run() has sent Ready
// never became ready: launch-failed, which an on-failure restart policy
// restarts.
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
// An allocation failed (the helper hit its memory limit): out-of-memory when
// the host set one.
inline constexpr int kExitOutOfMemory = 83;
// The `oom` fault allocated twice its memory limit without failing: the limit
// is not enforced here (e.g. job limits under Wine). Exits rather than take
// the machine down.
inline constexpr int kExitMemoryLimitNotEnforced = 84;
// A required sandbox layer could not be applied before Ready: the helper
// refuses to run unconfined (the reason is on its stderr). Launch-failed when
// the host had asked it to lock itself down and it was not yet ready.
inline constexpr int kExitSandboxFailed = 85;
// The role's warm-up (HelperContext::SetWarmUp) failed or left a thread
// running: the reason is the last line on its stderr. Launch-failed when the
// helper was not yet ready.
inline constexpr int kExitWarmUpFailed = 86;

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_EXIT_CODES_H_
