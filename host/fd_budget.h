// How many helpers the host's limit on open descriptors (POSIX
// RLIMIT_NOFILE) leaves room for.
//
// Each helper costs the host a few descriptors for as long as it runs (its
// channel's socket, its output pipes, its process's pidfd and, sandboxed, its
// sandbox's init and launch status pipe): a host whose soft limit is the
// usual 1024 runs out at a few hundred helpers, in whichever call happened to
// need the next descriptor (a socketpair, an accept, a pipe) and with an
// EMFILE that names nothing. The host instead raises the soft limit at start
// and refuses the launch that would not fit, naming the limit and the number.
#ifndef BULKHEAD_HOST_FD_BUDGET_H_
#define BULKHEAD_HOST_FD_BUDGET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"

namespace bulkhead {

class FdBudget {
 public:
  // Descriptors one helper holds in the host, at most, while its launch is
  // under way (the launch's own pipes and both ends of its sockets, until
  // the process has them) and once it runs (measured on Linux with a
  // thousand launched at once: tests/host/scale_test.cc checks them).
  struct Cost {
    uint64_t launching;
    uint64_t running;
  };
  static constexpr Cost kUnsandboxed = {6, 6};
  // Its sandbox's init too, and what is prepared before its clone.
  static constexpr Cost kSandboxed = {24, 10};
  // Forked by a sandboxed zygote (host/launch/sandbox_zygote.h): while it
  // waits, its channel and pipes only (what only an exec needs is made if it
  // falls back, on the launcher thread, one launch at a time); then no init
  // nor status pipe of its own: its pidfd and its cgroup's lock beside the
  // unsandboxed helper's share (tests/host/scale_test.cc measures both: 9.6
  // and 8.0 with a thousand launched at once).
  static constexpr Cost kForkedSandboxed = {10, 8};
  // Kept free beside the helpers: large messages in flight (a shared-memory
  // region each), the zygote, files the broker opens, the app's own.
  static constexpr uint64_t kReserve = 64;

  // The limit as it is (`raise` false), or first raised to the hard one
  // (common/fd_limit.h's RaiseFdLimitToHard), with the descriptors open now
  // counted as in use. Says in the log what it did (info) or why it could not
  // (warning). Windows has no such limit: every launch fits.
  static FdBudget AtHostStart(bool raise);

  // A budget with these figures, for tests. `soft_limit` 0: no limit.
  FdBudget(uint64_t soft_limit, uint64_t hard_limit, uint64_t open_at_start);

  // Takes the descriptors of a launch of helper `id` (`sandboxed` or not,
  // with `files` descriptors of its own handed over at launch) when they
  // fit. ResourceExhausted otherwise, naming the limit (soft and hard), how
  // many helpers fit and how to raise it; nothing is taken then.
  absl::Status Reserve(uint64_t id, bool sandboxed, uint64_t files);
  // The same for a launch that costs `cost`.
  absl::Status Reserve(uint64_t id, Cost cost, uint64_t files);
  // The launch of `id` is over (Ready, or ended first): it holds its running
  // cost from now on, or `actual`'s when the launch took another path than
  // the one it was charged for (charged kForkedSandboxed, it fell back to
  // exec: it holds kSandboxed's running share).
  void LaunchDone(uint64_t id, std::optional<Cost> actual = std::nullopt);
  // `id` ended: its descriptors are free again. Nothing for an unknown id.
  void Release(uint64_t id);

  // How many helpers of a kind fit, launched one after another, beside
  // those running now.
  uint64_t HelpersThatFit(bool sandboxed) const;
  uint64_t HelpersThatFit(Cost cost) const;
  // One line for the log: the limit and the helpers it leaves room for.
  std::string Describe() const;

  uint64_t soft_limit() const { return soft_limit_; }
  uint64_t hard_limit() const { return hard_limit_; }
  // Descriptors taken by the helpers now.
  uint64_t taken() const { return taken_; }

 private:
  struct Held {
    uint64_t now;
    uint64_t running;
    uint64_t files;
  };
  // Descriptors free for helpers: the soft limit less what was open at
  // start and the reserve.
  uint64_t available() const;
  // "RLIMIT_NOFILE soft S, hard H".
  std::string Limits() const;

  uint64_t soft_limit_ = 0;  // 0: none (Windows).
  uint64_t hard_limit_ = 0;  // 0: none.
  uint64_t open_at_start_ = 0;
  uint64_t taken_ = 0;
  std::unordered_map<uint64_t, Held> held_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_FD_BUDGET_H_
