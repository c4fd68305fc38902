// HelperProcess: what the host asks of a ready helper (pings, the heartbeat,
// faults, control calls). The lifecycle is in helper_process.cc.
#include <memory>
#include <utility>

#include "absl/time/clock.h"
#include "host/helper_process.h"

namespace bulkhead {

void HelperProcess::Ping(
    absl::Time deadline,
    absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)> done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ != State::kReady) {
    done(absl::UnavailableError(name() + " is not ready"));
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

void HelperProcess::StartHeartbeat() {
  heartbeat_ = std::make_unique<Heartbeat>(
      loop_, options_.heartbeat,
      [this](absl::Time deadline,
             absl::AnyInvocable<void(absl::StatusOr<absl::Duration>)> done) {
        Ping(deadline, std::move(done));
      },
      [this] { return channel_->frames_received(); },
      [this](HostAction action, std::string detail) {
        Kill(action, std::move(detail));
      });
  heartbeat_->Start();
}

void HelperProcess::InjectFault(ipc::FaultKind kind, int exit_code,
                                absl::AnyInvocable<void(absl::Status)> done) {
  BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
  if (state_ != State::kReady) {
    done(absl::UnavailableError(name() + " is not ready"));
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
    done(absl::UnavailableError(name() + " is not ready"));
    return;
  }
  channel_->CallControl(request, deadline, std::move(done));
}

}  // namespace bulkhead
