#include "ipc/pending_calls.h"

#include <vector>

namespace bulkhead::ipc {

uint64_t PendingCalls::Add(MonotonicNanos deadline, Completion completion) {
  const uint64_t id = next_id_++;
  calls_.emplace(id, Call{deadline, std::move(completion)});
  by_deadline_.emplace(deadline, id);
  return id;
}

PendingCalls::ReplyMatch PendingCalls::CompleteWithReply(
    const Envelope& reply, absl::Status* completion_status) {
  const uint64_t id = reply.call_id();
  auto it = calls_.find(id);
  if (it == calls_.end()) {
    if (expired_.erase(id) > 0) return ReplyMatch::kLate;
    return ReplyMatch::kUnknown;
  }
  *completion_status = Take(it)(&reply);
  return ReplyMatch::kCompleted;
}

PendingCalls::Completion PendingCalls::Take(
    absl::flat_hash_map<uint64_t, Call>::iterator it) {
  const uint64_t id = it->first;
  Call call = std::move(it->second);
  calls_.erase(it);
  auto [first, last] = by_deadline_.equal_range(call.deadline);
  for (auto d = first; d != last; ++d) {
    if (d->second == id) {
      by_deadline_.erase(d);
      break;
    }
  }
  return std::move(call.completion);
}

bool PendingCalls::Fail(uint64_t id, const absl::Status& status) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return false;
  Take(it)(status).IgnoreError();
  return true;
}

void PendingCalls::ExpireUntil(MonotonicNanos now) {
  // Collect first: a completion may add new calls.
  std::vector<Completion> expired;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    const uint64_t id = by_deadline_.begin()->second;
    by_deadline_.erase(by_deadline_.begin());
    auto it = calls_.find(id);
    expired.push_back(std::move(it->second.completion));
    calls_.erase(it);
    RememberExpired(id);
  }
  for (Completion& completion : expired) {
    completion(absl::DeadlineExceededError("call deadline exceeded"))
        .IgnoreError();
  }
}

void PendingCalls::FailAll(const absl::Status& status) {
  std::vector<Completion> failed;
  failed.reserve(calls_.size());
  // Fail in deadline order, which for equal timeouts is call order.
  for (const auto& [deadline, id] : by_deadline_) {
    failed.push_back(std::move(calls_.at(id).completion));
  }
  calls_.clear();
  by_deadline_.clear();
  for (Completion& completion : failed) completion(status).IgnoreError();
}

std::optional<MonotonicNanos> PendingCalls::NextDeadline() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first;
}

void PendingCalls::RememberExpired(uint64_t id) {
  expired_.insert(id);
  expired_order_.push_back(id);
  if (expired_order_.size() > kExpiredIdsRemembered) {
    expired_.erase(expired_order_.front());
    expired_order_.pop_front();
  }
}

}  // namespace bulkhead::ipc
