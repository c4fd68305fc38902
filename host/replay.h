// Replaying a repro (host/repro.h): its request, fed to a fresh helper of its
// role, to see whether the input still kills it.
//
//   bulkhead::ReplayRepro(*host, *repro, {}, [&](auto outcome) {
//     if (outcome.ok() && bulkhead::ReproducesDeath(*repro, *outcome)) ...
//   });
//
// Thread: the host's loop thread, as every Host member; `done` runs there.
#ifndef BULKHEAD_HOST_REPLAY_H_
#define BULKHEAD_HOST_REPLAY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "host/exit_info.h"
#include "host/heartbeat.h"
#include "host/host.h"
#include "host/repro.h"

namespace bulkhead {

struct ReplayOptions {
  // Inside the role's sandbox, as the helper that died ran: the default
  // where the platform has one (as Host::Options::sandbox_helpers). False:
  // unconfined, so that a debugger can attach to it (see `on_ready`); for
  // debugging only. True where there is none fails the replay (Unimplemented).
  bool sandboxed = SandboxedLaunchAvailable();
  // How long the request may take. Past it the helper is killed
  // (kKilledByHost) and the call ends DEADLINE_EXCEEDED: a request that hangs
  // its helper ends in time even with the heartbeat off.
  absl::Duration deadline = absl::Seconds(30);
  // The replay helper's heartbeat, instead of the host's (e.g. a long
  // interval while a debugger holds it stopped).
  std::optional<Heartbeat::Options> heartbeat;
  // Appended to the helper's arguments (Host::LaunchOverrides::extra_args).
  std::vector<std::string> extra_args;
  // Optional: runs once the helper is ready, just before the request is sent
  // (e.g. to print its pid for a debugger). Must not destroy the helper.
  absl::AnyInvocable<void(HelperProcess& helper)> on_ready;
};

struct ReplayOutcome {
  // How the call ended: OK when the helper answered (`reply_type`, `reply`),
  // the handler's error, DEADLINE_EXCEEDED, or UNAVAILABLE when the helper
  // ended first or never became ready (the reason follows).
  absl::Status call_status;
  // The reply's full message type name and bytes.
  std::string reply_type;
  std::string reply;
  // How the replay helper ended. After an answer the replay stops it
  // (kStoppedByHost); past the deadline it kills it (kKilledByHost).
  ExitInfo exit;
  // True when the helper ended with the request in flight, of its own doing:
  // neither answered nor stopped or killed by the replay.
  bool died_in_flight = false;
};

// Launches a helper of `repro.role` (never restarted), sends it
// `repro.request` as `repro.request_type` once it is ready, and reports how
// that went. The request's type must be linked into this program (protobuf's
// generated pool: the role's own .proto compiled in), and the bytes are sent
// as parsed into it (fields this build does not know travel as unknown
// fields).
//
// `done` runs exactly once, on the loop and never inside this call: with the
// outcome once the helper has ended, or with an error when no helper could be
// launched or nothing could be sent: the role is unknown to the host
// (NotFound), the type is not linked here (NotFound), the bytes do not parse
// as it (InvalidArgument), the launch failed (the launch's error). It never
// runs when the host is destroyed first.
BULKHEAD_EXPORT void ReplayRepro(
    Host& host, const Repro& repro, ReplayOptions options,
    absl::AnyInvocable<void(absl::StatusOr<ReplayOutcome>)> done);

// True when `outcome` is the death `repro` recorded: the helper died with the
// request in flight, of the same kind, and (where the kind has them) with the
// same signal, exit code or system call.
BULKHEAD_EXPORT bool ReproducesDeath(const Repro& repro,
                                     const ReplayOutcome& outcome);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_REPLAY_H_
