// The calls a channel has sent and not yet seen answered: their completion
// callbacks, ordered by deadline. Pure bookkeeping (no I/O, no clock of its
// own) so that the deadline logic is testable without processes.
#ifndef BULKHEAD_IPC_PENDING_CALLS_H_
#define BULKHEAD_IPC_PENDING_CALLS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead::ipc {

// Monotonic nanoseconds (the channel uses uv_hrtime()).
using MonotonicNanos = uint64_t;

class PendingCalls {
 public:
  // Receives the reply envelope, or the error that ended the call. Returning a
  // non-OK status says the reply itself broke the protocol (e.g. a body of the
  // wrong type).
  using Completion =
      absl::AnyInvocable<absl::Status(absl::StatusOr<const Envelope*>)>;

  // Replies to calls that already timed out are tolerated (the peer was slow,
  // not lying). This many expired ids are remembered; older ones are forgotten.
  static constexpr size_t kExpiredIdsRemembered = 1024;

  PendingCalls() = default;
  PendingCalls(const PendingCalls&) = delete;
  PendingCalls& operator=(const PendingCalls&) = delete;

  // Registers a call and returns its id (1, 2, ...).
  uint64_t Add(MonotonicNanos deadline, Completion completion);

  enum class ReplyMatch {
    kCompleted,  // A pending call was completed.
    kLate,       // The call had already expired; the reply was dropped.
    kUnknown,    // No such call was ever pending: a protocol violation.
  };
  // Completes call `reply.call_id()` with `reply`. `*completion_status` gets
  // what the completion returned when kCompleted.
  ReplyMatch CompleteWithReply(const Envelope& reply,
                               absl::Status* completion_status);

  // Fails call `id` with `status`; false when it is not pending.
  bool Fail(uint64_t id, const absl::Status& status);

  // Fails every call whose deadline is at or before `now` with
  // DEADLINE_EXCEEDED.
  void ExpireUntil(MonotonicNanos now);
  // Fails every pending call with `status` (e.g. UNAVAILABLE when the channel
  // closed).
  void FailAll(const absl::Status& status);

  // The earliest deadline of a pending call.
  std::optional<MonotonicNanos> NextDeadline() const;
  size_t size() const { return calls_.size(); }

 private:
  struct Call {
    MonotonicNanos deadline;
    Completion completion;
  };
  // Removes the call at `it` from both indexes and returns its completion.
  Completion Take(absl::flat_hash_map<uint64_t, Call>::iterator it);
  void RememberExpired(uint64_t id);

  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, Call> calls_;
  std::multimap<MonotonicNanos, uint64_t> by_deadline_;
  absl::flat_hash_set<uint64_t> expired_;
  std::deque<uint64_t> expired_order_;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_PENDING_CALLS_H_
