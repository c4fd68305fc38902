#include "ipc/pending_calls.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead::ipc {
namespace {

using ::testing::ElementsAre;
using ReplyMatch = PendingCalls::ReplyMatch;

// What a completion saw: the reply's pong nonce, or the error it got.
struct Outcome {
  uint64_t id;
  absl::Status status;
  std::optional<uint64_t> nonce;
};

// Records every completion into `log`, tagged with `id`, returning `result`.
PendingCalls::Completion Record(std::vector<Outcome>* log, uint64_t id,
                                absl::Status result = absl::OkStatus()) {
  return
      [log, id, result](absl::StatusOr<const Envelope*> reply) -> absl::Status {
        if (reply.ok()) {
          log->push_back(
              {id, absl::OkStatus(), (*reply)->control().pong().nonce()});
        } else {
          log->push_back({id, reply.status(), std::nullopt});
        }
        return result;
      };
}

Envelope Reply(uint64_t call_id, uint64_t nonce) {
  Envelope reply;
  reply.set_call_id(call_id);
  reply.set_is_reply(true);
  reply.mutable_control()->mutable_pong()->set_nonce(nonce);
  return reply;
}

std::vector<uint64_t> Ids(const std::vector<Outcome>& log) {
  std::vector<uint64_t> ids;
  for (const Outcome& outcome : log) ids.push_back(outcome.id);
  return ids;
}

TEST(PendingCallsTest, IdsIncreaseFromOne) {
  PendingCalls calls;
  std::vector<Outcome> log;
  EXPECT_EQ(calls.Add(100, Record(&log, 0)), 1u);
  EXPECT_EQ(calls.Add(50, Record(&log, 0)), 2u);
  EXPECT_EQ(calls.Add(100, Record(&log, 0)), 3u);
  EXPECT_EQ(calls.size(), 3u);
  // Completed and expired ids are not reused.
  calls.FailAll(absl::UnavailableError("x"));
  EXPECT_EQ(calls.Add(1, Record(&log, 0)), 4u);
}

TEST(PendingCallsTest, ReplyCompletesTheMatchingCall) {
  PendingCalls calls;
  std::vector<Outcome> log;
  const uint64_t a = calls.Add(1000, Record(&log, 1));
  const uint64_t b = calls.Add(1000, Record(&log, 2));
  const uint64_t c = calls.Add(1000, Record(&log, 3));

  absl::Status completion_status = absl::InternalError("not written");
  EXPECT_EQ(calls.CompleteWithReply(Reply(b, 222), &completion_status),
            ReplyMatch::kCompleted);
  EXPECT_TRUE(completion_status.ok()) << completion_status;
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].id, 2u);
  EXPECT_TRUE(log[0].status.ok());
  EXPECT_EQ(log[0].nonce, 222u);
  EXPECT_EQ(calls.size(), 2u);

  EXPECT_EQ(calls.CompleteWithReply(Reply(c, 333), &completion_status),
            ReplyMatch::kCompleted);
  EXPECT_EQ(calls.CompleteWithReply(Reply(a, 111), &completion_status),
            ReplyMatch::kCompleted);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1].nonce, 333u);
  EXPECT_EQ(log[2].nonce, 111u);
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(calls.NextDeadline(), std::nullopt);
}

TEST(PendingCallsTest, SecondReplyToACompletedCallIsUnknown) {
  PendingCalls calls;
  std::vector<Outcome> log;
  const uint64_t id = calls.Add(1000, Record(&log, 1));
  absl::Status completion_status;
  EXPECT_EQ(calls.CompleteWithReply(Reply(id, 1), &completion_status),
            ReplyMatch::kCompleted);
  EXPECT_EQ(calls.CompleteWithReply(Reply(id, 1), &completion_status),
            ReplyMatch::kUnknown);
  EXPECT_EQ(log.size(), 1u);
}

TEST(PendingCallsTest, ReplyToNeverIssuedIdIsUnknown) {
  PendingCalls calls;
  std::vector<Outcome> log;
  calls.Add(1000, Record(&log, 1));
  absl::Status completion_status;
  EXPECT_EQ(calls.CompleteWithReply(Reply(99, 0), &completion_status),
            ReplyMatch::kUnknown);
  EXPECT_EQ(calls.CompleteWithReply(Reply(0, 0), &completion_status),
            ReplyMatch::kUnknown);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(calls.size(), 1u);
}

TEST(PendingCallsTest, ExpireUntilFailsOnlyDueCallsInDeadlineOrder) {
  PendingCalls calls;
  std::vector<Outcome> log;
  calls.Add(300, Record(&log, 1));
  calls.Add(100, Record(&log, 2));
  calls.Add(200, Record(&log, 3));
  calls.Add(201, Record(&log, 4));
  calls.Add(
      100,
      Record(&log, 5));  // Same deadline as call 2: call order breaks the tie.

  calls.ExpireUntil(99);
  EXPECT_TRUE(log.empty());

  calls.ExpireUntil(200);  // Deadline == now counts as passed.
  EXPECT_THAT(Ids(log), ElementsAre(2, 5, 3));
  for (const Outcome& outcome : log) {
    EXPECT_EQ(outcome.status.code(), absl::StatusCode::kDeadlineExceeded)
        << outcome.id;
  }
  EXPECT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls.NextDeadline(), 201u);

  calls.ExpireUntil(1000);
  EXPECT_THAT(Ids(log), ElementsAre(2, 5, 3, 4, 1));
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(calls.NextDeadline(), std::nullopt);
}

TEST(PendingCallsTest, LateReplyAfterExpiryIsToleratedOnce) {
  PendingCalls calls;
  std::vector<Outcome> log;
  const uint64_t id = calls.Add(10, Record(&log, 1));
  calls.ExpireUntil(10);
  ASSERT_EQ(log.size(), 1u);

  absl::Status completion_status;
  EXPECT_EQ(calls.CompleteWithReply(Reply(id, 5), &completion_status),
            ReplyMatch::kLate);
  EXPECT_EQ(log.size(), 1u);  // The completion does not run a second time.
  EXPECT_EQ(calls.CompleteWithReply(Reply(id, 5), &completion_status),
            ReplyMatch::kUnknown);
  EXPECT_EQ(log.size(), 1u);
}

TEST(PendingCallsTest, FailAllFailsEveryCallWithTheStatusAndEmpties) {
  PendingCalls calls;
  std::vector<Outcome> log;
  calls.Add(30, Record(&log, 1));
  calls.Add(10, Record(&log, 2));
  calls.Add(20, Record(&log, 3));
  const absl::Status why =
      absl::UnavailableError("channel closed: peer went away");
  calls.FailAll(why);
  EXPECT_THAT(Ids(log), ElementsAre(2, 3, 1));
  for (const Outcome& outcome : log) EXPECT_EQ(outcome.status, why);
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(calls.NextDeadline(), std::nullopt);

  // Failed calls are not "expired": a reply to one is a violation, not a late
  // reply.
  absl::Status completion_status;
  EXPECT_EQ(calls.CompleteWithReply(Reply(1, 0), &completion_status),
            ReplyMatch::kUnknown);

  calls.FailAll(why);  // Nothing left to fail.
  EXPECT_EQ(log.size(), 3u);
}

TEST(PendingCallsTest, NextDeadlineTracksTheEarliestPendingCall) {
  PendingCalls calls;
  std::vector<Outcome> log;
  EXPECT_EQ(calls.NextDeadline(), std::nullopt);
  const uint64_t late = calls.Add(500, Record(&log, 1));
  EXPECT_EQ(calls.NextDeadline(), 500u);
  const uint64_t early = calls.Add(100, Record(&log, 2));
  EXPECT_EQ(calls.NextDeadline(), 100u);
  calls.Add(100, Record(&log, 3));

  absl::Status completion_status;
  ASSERT_EQ(calls.CompleteWithReply(Reply(early, 0), &completion_status),
            ReplyMatch::kCompleted);
  EXPECT_EQ(calls.NextDeadline(), 100u);  // Call 3 still has it.
  calls.ExpireUntil(100);
  EXPECT_EQ(calls.NextDeadline(), 500u);
  ASSERT_EQ(calls.CompleteWithReply(Reply(late, 0), &completion_status),
            ReplyMatch::kCompleted);
  EXPECT_EQ(calls.NextDeadline(), std::nullopt);
}

TEST(PendingCallsTest, CompletionMayAddACallDuringExpireUntil) {
  PendingCalls calls;
  std::vector<Outcome> log;
  uint64_t added = 0;
  calls.Add(10, [&](absl::StatusOr<const Envelope*> reply) -> absl::Status {
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
    // A retry, already due: it must wait for the next ExpireUntil, not run in
    // this one.
    added = calls.Add(5, Record(&log, 100));
    return absl::OkStatus();
  });
  calls.Add(20, Record(&log, 2));

  calls.ExpireUntil(20);
  EXPECT_THAT(Ids(log), ElementsAre(2));
  EXPECT_EQ(added, 3u);
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.NextDeadline(), 5u);

  absl::Status completion_status;
  EXPECT_EQ(calls.CompleteWithReply(Reply(added, 42), &completion_status),
            ReplyMatch::kCompleted);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].id, 100u);
  EXPECT_EQ(log[1].nonce, 42u);
}

TEST(PendingCallsTest, CompletionMayAddACallDuringFailAll) {
  PendingCalls calls;
  std::vector<Outcome> log;
  uint64_t added = 0;
  calls.Add(10, [&](absl::StatusOr<const Envelope*> reply) -> absl::Status {
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
    added = calls.Add(50, Record(&log, 100));
    return absl::OkStatus();
  });
  calls.Add(20, Record(&log, 2));

  calls.FailAll(absl::UnavailableError("closed"));
  EXPECT_THAT(Ids(log), ElementsAre(2));
  // The call added from inside FailAll survives it and is still answerable.
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.NextDeadline(), 50u);
  absl::Status completion_status;
  EXPECT_EQ(calls.CompleteWithReply(Reply(added, 7), &completion_status),
            ReplyMatch::kCompleted);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].nonce, 7u);
}

TEST(PendingCallsTest, CompletionMayAddACallDuringCompleteWithReply) {
  PendingCalls calls;
  std::vector<Outcome> log;
  const uint64_t first =
      calls.Add(10, [&](absl::StatusOr<const Envelope*>) -> absl::Status {
        calls.Add(10, Record(&log, 2));
        return absl::OkStatus();
      });
  absl::Status completion_status;
  EXPECT_EQ(calls.CompleteWithReply(Reply(first, 0), &completion_status),
            ReplyMatch::kCompleted);
  EXPECT_EQ(calls.size(), 1u);
  calls.ExpireUntil(10);
  EXPECT_THAT(Ids(log), ElementsAre(2));
}

TEST(PendingCallsTest, CompletionErrorIsReturnedThroughCompletionStatus) {
  PendingCalls calls;
  std::vector<Outcome> log;
  const absl::Status bad = absl::DataLossError("reply is not a Pong");
  const uint64_t id = calls.Add(100, Record(&log, 1, bad));
  absl::Status completion_status;
  EXPECT_EQ(calls.CompleteWithReply(Reply(id, 0), &completion_status),
            ReplyMatch::kCompleted);
  EXPECT_EQ(completion_status, bad);
  EXPECT_EQ(log.size(), 1u);
  EXPECT_EQ(calls.size(), 0u);
}

TEST(PendingCallsTest, CompletionErrorsAreIgnoredWhenExpiringOrFailing) {
  PendingCalls calls;
  std::vector<Outcome> log;
  calls.Add(1, Record(&log, 1, absl::InternalError("ignored")));
  calls.Add(2, Record(&log, 2, absl::InternalError("ignored")));
  calls.Add(3, Record(&log, 3, absl::InternalError("ignored")));
  calls.ExpireUntil(1);
  calls.FailAll(absl::UnavailableError("closed"));
  EXPECT_THAT(Ids(log), ElementsAre(1, 2, 3));
}

TEST(PendingCallsTest, RemembersOnlyTheNewestExpiredIds) {
  constexpr size_t kCap = PendingCalls::kExpiredIdsRemembered;
  PendingCalls calls;
  int expired = 0;
  std::vector<uint64_t> ids;
  for (size_t i = 0; i < kCap + 1; ++i) {
    // Deadlines in call order, so that expiry order is id order.
    ids.push_back(calls.Add(
        i, [&expired](absl::StatusOr<const Envelope*>) -> absl::Status {
          ++expired;
          return absl::OkStatus();
        }));
  }
  calls.ExpireUntil(kCap + 1);
  ASSERT_EQ(expired, static_cast<int>(kCap + 1));

  absl::Status completion_status;
  // The oldest expired id fell out of memory; a reply to it is now
  // indistinguishable from one to a call never made.
  EXPECT_EQ(calls.CompleteWithReply(Reply(ids.front(), 0), &completion_status),
            ReplyMatch::kUnknown);
  EXPECT_EQ(calls.CompleteWithReply(Reply(ids[1], 0), &completion_status),
            ReplyMatch::kLate);
  EXPECT_EQ(calls.CompleteWithReply(Reply(ids.back(), 0), &completion_status),
            ReplyMatch::kLate);
  EXPECT_EQ(expired, static_cast<int>(kCap + 1));
}

TEST(PendingCallsTest, ExpiredIdsAreForgottenAcrossSeveralExpiries) {
  constexpr size_t kCap = PendingCalls::kExpiredIdsRemembered;
  PendingCalls calls;
  auto ignore = [](absl::StatusOr<const Envelope*>) {
    return absl::OkStatus();
  };
  const uint64_t first = calls.Add(0, ignore);
  calls.ExpireUntil(0);
  for (size_t i = 1; i < kCap; ++i) calls.Add(i, ignore);
  calls.ExpireUntil(kCap);
  // Exactly kCap expired so far: the first is still remembered.
  absl::Status completion_status;
  const uint64_t second = first + 1;
  EXPECT_EQ(calls.CompleteWithReply(Reply(second, 0), &completion_status),
            ReplyMatch::kLate);

  const uint64_t next = calls.Add(kCap + 1, ignore);
  calls.ExpireUntil(kCap + 1);
  // One more expiry pushes the first out.
  EXPECT_EQ(calls.CompleteWithReply(Reply(first, 0), &completion_status),
            ReplyMatch::kUnknown);
  EXPECT_EQ(calls.CompleteWithReply(Reply(next, 0), &completion_status),
            ReplyMatch::kLate);
}

}  // namespace
}  // namespace bulkhead::ipc
