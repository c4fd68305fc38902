// `browser_host replay FILE [--no-sandbox]`: reads a repro file (host/repro.h),
// says what it holds, feeds its request to a fresh helper of its role
// (host/replay.h) and says whether the input still kills it.
#ifndef BULKHEAD_BROWSER_HOST_REPLAY_COMMAND_H_
#define BULKHEAD_BROWSER_HOST_REPLAY_COMMAND_H_

#include <cstdio>
#include <string>

#include "helper/role_registry.h"

namespace bulkhead {

// Exit codes: the death was reproduced (same kind and signal, exit code or
// system call), it was not (the helper answered, died otherwise or timed
// out), or the file is no repro this binary can replay (unreadable, damaged,
// a role or message type it does not have).
inline constexpr int kReplayReproduced = 0;
inline constexpr int kReplayNotReproduced = 1;
inline constexpr int kReplayBadFile = 2;

// Prints to `out`; errors go to stderr. `sandboxed` false is --no-sandbox
// (the helper's pid is printed, for a debugger).
int RunReplayCommand(const RoleRegistry& roles, const std::string& path,
                     bool sandboxed, std::FILE* out);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_REPLAY_COMMAND_H_
