// HelperProcess: what the host asks of a ready helper (pings, the heartbeat,
// faults, control calls). The lifecycle is in helper_process.cc.
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "host/beat_watch.h"
#include "host/exit_info_status.h"
#include "host/helper_process.h"
#include "ipc/beat_grid.h"

namespace bulkhead {

void HelperProcess::Ping(
    absl::Time deadline,
    absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)> done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ != State::kReady) {
    deferred_.PostCompletion(std::move(done),
                             absl::UnavailableError(name() + " is not ready"));
    return;
  }
  static uint64_t next_nonce = 1;
  ipc::Control ping;
  const uint64_t nonce = next_nonce++;
  ping.mutable_ping()->set_nonce(nonce);
  const uint64_t sent_at = uv_hrtime();
  channel_->CallControl(
      ping, deadline,
      [this, done = std::move(done), sent_at,
       nonce](absl::StatusOr<ipc::Control> pong) mutable {
        // Only an answer touches `this`: a call cancelled by the channel's
        // destruction (this object's destructor) does not.
        if (!pong.ok()) {
          done(pong.status());
        } else if (!pong->has_pong() || pong->pong().nonce() != nonce) {
          done(absl::DataLossError("Ping answered without its Pong"));
        } else {
          last_round_trip_ = absl::Nanoseconds(uv_hrtime() - sent_at);
          done(*last_round_trip_);
        }
      });
}

uint64_t HelperProcess::BeginCall(absl::Time deadline, CallOptions options,
                                  const std::string& type) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  const uint64_t call = next_call_++;
  calls_.emplace(call, CallInFlight{deadline, options, type});
  return call;
}

bool HelperProcess::EndCall(uint64_t call, const absl::Status& status) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  auto it = calls_.find(call);
  if (it == calls_.end()) return false;
  const CallInFlight ended = std::move(it->second);
  calls_.erase(it);
  if (status.ok()) return false;
  // The channel failed it because it closed: the helper is ending (or has
  // ended), and the caller learns how.
  if (absl::IsUnavailable(status) && !channel_->is_open()) return true;
  if (absl::IsDeadlineExceeded(status) && ended.options.kill_on_deadline &&
      state_ != State::kExited) {
    Kill(HostAction::kKilledAtDeadline,
         absl::StrCat("a ", ended.type, " call passed its deadline"));
    return true;
  }
  return false;
}

void HelperProcess::HoldUntilExit(absl::Status status,
                                  absl::AnyInvocable<void(absl::Status)> fail) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (exit_info_.has_value()) {
    // Ended already (MaybeFinishExit closing the channel fails the calls).
    fail(WithExitInfo(status));
    return;
  }
  held_calls_.emplace_back(std::move(status), std::move(fail));
}

absl::Status HelperProcess::WithExitInfo(const absl::Status& status) const {
  return AttachExitInfo(
      absl::Status(status.code(),
                   absl::StrCat(status.message(), " (", name(),
                                " ended: ", exit_info_->Describe(), ")")),
      *exit_info_);
}

std::optional<absl::Time> HelperProcess::BusyUntil() const {
  std::optional<absl::Time> latest;
  const absl::Time now = absl::Now();
  for (const auto& [call, in_flight] : calls_) {
    if (in_flight.deadline > now &&
        (!latest.has_value() || in_flight.deadline > *latest)) {
      latest = in_flight.deadline;
    }
  }
  return latest;
}

std::optional<absl::Duration> HelperProcess::overdue_ping() const {
  if (state_ != State::kReady || beats_ == nullptr) return std::nullopt;
  return beats_->Overdue();
}

void HelperProcess::StartHeartbeat() {
  // A Beat is due every interval, on a grid of tenths of it: one a slot late
  // (its loop ran late once) is still on time.
  beats_ = std::make_unique<BeatWatch>(
      loop_, options_.heartbeat.interval +
                 2 * options_.heartbeat.interval / ipc::kBeatSlotsPerPeriod);
  heartbeat_ = std::make_unique<Heartbeat>(
      loop_, options_.heartbeat,
      [this](absl::Time deadline,
             absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)> done) {
        // A helper on its way out owes no Beat (BeginStopping cancels the
        // one waiting): as a Ping to it would, this fails without a verdict.
        if (state_ != State::kReady || !channel_->is_open()) {
          deferred_.PostCompletion(
              std::move(done),
              absl::UnavailableError(name() + " is not ready"));
          return;
        }
        beats_->Ping(deadline, std::move(done));
      },
      [this] { return channel_->frames_received(); },
      [this](HostAction action, std::string detail) {
        Kill(action, std::move(detail));
      },
      [this] { return BusyUntil(); });
  heartbeat_->Start();
}

void HelperProcess::InjectFault(ipc::FaultKind kind, int exit_code,
                                absl::AnyInvocable<void(absl::Status)> done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ != State::kReady) {
    deferred_.PostCompletion(std::move(done),
                             absl::UnavailableError(name() + " is not ready"));
    return;
  }
  ipc::Control control;
  control.mutable_fault()->set_kind(kind);
  control.mutable_fault()->set_exit_code(exit_code);
  // The deadline only bounds the acknowledgement of faults that keep the
  // helper alive; the others end the call with UNAVAILABLE.
  channel_->CallControl(
      control, absl::Now() + options_.handshake_timeout,
      [done = std::move(done)](absl::StatusOr<ipc::Control> ack) mutable {
        done(ack.status());
      });
}

void HelperProcess::CallControl(
    ipc::Control request, absl::Time deadline,
    absl::AnyInvocable<void(absl::StatusOr<ipc::Control>)> done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ != State::kReady) {
    deferred_.PostCompletion(std::move(done),
                             absl::UnavailableError(name() + " is not ready"));
    return;
  }
  channel_->CallControl(request, deadline, std::move(done));
}

}  // namespace bulkhead
