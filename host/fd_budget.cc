#include "host/fd_budget.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace bulkhead {

FdBudget::FdBudget(uint64_t soft_limit, uint64_t hard_limit,
                   uint64_t open_at_start)
    : soft_limit_(soft_limit),
      hard_limit_(hard_limit),
      open_at_start_(open_at_start) {}

uint64_t FdBudget::available() const {
  const uint64_t reserved = open_at_start_ + kReserve;
  return soft_limit_ > reserved ? soft_limit_ - reserved : 0;
}

absl::Status FdBudget::Reserve(uint64_t id, bool sandboxed, uint64_t files) {
  return Reserve(id, sandboxed ? kSandboxed : kUnsandboxed, files);
}

absl::Status FdBudget::Reserve(uint64_t id, Cost cost, uint64_t files) {
  const Held held = {cost.launching + files, cost.running + files, files};
  if (soft_limit_ != 0 && taken_ + held.now > available()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "no room for helper ", held_.size() + 1, ": the limit on open ",
        "descriptors (", Limits(), ") fits ", HelpersThatFit(cost),
        " such helpers in all (", held_.size(), " running now; ", held.running,
        " descriptors each, ", held.now, " while launching; ", open_at_start_,
        " open at host start, ", kReserve,
        " kept free); raise the hard limit (ulimit -Hn, systemd's "
        "LimitNOFILE=)"));
  }
  taken_ += held.now;
  held_[id] = held;
  return absl::OkStatus();
}

void FdBudget::LaunchDone(uint64_t id, std::optional<Cost> actual) {
  auto it = held_.find(id);
  if (it == held_.end()) return;
  if (actual.has_value()) it->second.running = actual->running + it->second.files;
  taken_ -= it->second.now - it->second.running;
  it->second.now = it->second.running;
}

void FdBudget::Release(uint64_t id) {
  auto it = held_.find(id);
  if (it == held_.end()) return;
  taken_ -= it->second.now;
  held_.erase(it);
}

uint64_t FdBudget::HelpersThatFit(bool sandboxed) const {
  return HelpersThatFit(sandboxed ? kSandboxed : kUnsandboxed);
}

uint64_t FdBudget::HelpersThatFit(Cost cost) const {
  if (soft_limit_ == 0) return UINT64_MAX;
  const uint64_t free = available() > taken_ ? available() - taken_ : 0;
  if (free < cost.launching) return held_.size();
  return held_.size() + 1 + (free - cost.launching) / cost.running;
}

std::string FdBudget::Limits() const {
  return absl::StrCat(
      "RLIMIT_NOFILE soft ", soft_limit_, ", hard ",
      hard_limit_ == 0 ? std::string("unlimited") : absl::StrCat(hard_limit_));
}

std::string FdBudget::Describe() const {
  if (soft_limit_ == 0) return "no limit on open descriptors";
  return absl::StrCat(Limits(), ": room for ", HelpersThatFit(true),
                      " sandboxed or ", HelpersThatFit(false),
                      " unsandboxed helpers (", open_at_start_,
                      " open at host start, ", kReserve, " kept free)");
}

}  // namespace bulkhead
