#include "host/replay.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace bulkhead {
namespace {

// A replay in progress, shared by the launch, call and exit callbacks. `done`
// runs from the exit watcher alone, so exactly once, and only from the loop.
struct Replay {
  std::unique_ptr<google::protobuf::Message> request;
  absl::Duration deadline;
  absl::AnyInvocable<void(HelperProcess&)> on_ready;
  absl::AnyInvocable<void(absl::StatusOr<ReplayOutcome>)> done;
  ReplayOutcome outcome;
  // The request was sent (the helper became ready).
  bool sent = false;
  // The call ended: answered (with a reply or the handler's error) or timed
  // out, either way not a death of the helper's own.
  bool answered = false;
  bool timed_out = false;
  bool call_ended = false;
};

// The request as a message of its named type, parsed from its bytes.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> RequestOf(
    const Repro& repro) {
  const google::protobuf::Descriptor* type =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          repro.request_type);
  if (type == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("the request's type ", repro.request_type,
                     " is not linked into this program"));
  }
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  if (prototype == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no message class for ", repro.request_type));
  }
  std::unique_ptr<google::protobuf::Message> request(prototype->New());
  if (!request->ParseFromString(repro.request)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request's bytes do not parse as ", repro.request_type));
  }
  return request;
}

void OnCallEnded(Host& host, uint64_t helper_id,
                 const std::shared_ptr<Replay>& replay,
                 absl::StatusOr<google::protobuf::Any> reply) {
  if (replay->call_ended) return;
  replay->call_ended = true;
  // CANCELLED: the host is being destroyed, and must not be touched.
  if (absl::IsCancelled(reply.status())) return;
  HelperProcess* helper = host.FindHelper(helper_id);
  if (reply.ok()) {
    replay->answered = true;
    replay->outcome.call_status = absl::OkStatus();
    // The full name follows the URL's last '/' (as in Any::PackFrom's
    // "type.googleapis.com/pkg.Type").
    const std::string& url = reply->type_url();
    replay->outcome.reply_type = url.substr(url.rfind('/') + 1);
    replay->outcome.reply = std::move(*reply->mutable_value());
  } else {
    replay->outcome.call_status = reply.status();
    switch (reply.status().code()) {
      case absl::StatusCode::kUnavailable:  // The channel closed: it ended.
        return;
      case absl::StatusCode::kDeadlineExceeded:
        replay->timed_out = true;
        if (helper != nullptr) {
          helper->Kill(HostAction::kKillRequested,
                       "the replayed request passed its deadline");
        }
        return;
      default:  // The handler's own error: it answered.
        replay->answered = true;
        break;
    }
  }
  if (helper != nullptr) {
    helper->Stop(absl::Seconds(2), "the replayed request was answered");
  }
}

}  // namespace

void ReplayRepro(Host& host, const Repro& repro, ReplayOptions options,
                 absl::AnyInvocable<void(absl::StatusOr<ReplayOutcome>)> done) {
  auto fail = [&host](
                  absl::AnyInvocable<void(absl::StatusOr<ReplayOutcome>)> done,
                  absl::Status why) {
    // From the loop, never inside ReplayRepro.
    host.Post([done = std::move(done), why = std::move(why)]() mutable {
      done(std::move(why));
    });
  };
  if (absl::Status known = host.CheckRole(repro.role); !known.ok()) {
    return fail(std::move(done), std::move(known));
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
      RequestOf(repro);
  if (!request.ok()) return fail(std::move(done), request.status());

  auto replay = std::make_shared<Replay>();
  replay->request = *std::move(request);
  replay->deadline = options.deadline;
  replay->on_ready = std::move(options.on_ready);
  replay->done = std::move(done);

  Host::LaunchOverrides overrides;
  overrides.sandboxed = options.sandboxed;
  overrides.heartbeat = options.heartbeat;
  overrides.extra_args = std::move(options.extra_args);
  overrides.restart = false;
  // The id is known only once Launch returns; on_ready runs later, from the
  // loop.
  auto helper_id = std::make_shared<uint64_t>(0);
  absl::StatusOr<HelperProcess*> launched = host.Launch(
      repro.role, std::move(overrides),
      [&host, replay, helper_id](absl::StatusOr<HelperProcess*> ready) {
        if (!ready.ok()) {
          // Never ready: the exit follows, and says why.
          replay->call_ended = true;
          replay->outcome.call_status = absl::UnavailableError(absl::StrCat(
              "the helper never became ready: ", ready.status().message()));
          return;
        }
        HelperProcess& helper = **ready;
        if (replay->on_ready) replay->on_ready(helper);
        if (host.FindHelper(*helper_id) == nullptr) return;
        replay->sent = true;
        helper.channel().CallMessage(
            *replay->request, absl::Now() + replay->deadline,
            [&host, replay,
             id = *helper_id](absl::StatusOr<google::protobuf::Any> reply) {
              OnCallEnded(host, id, replay, std::move(reply));
            });
      });
  if (!launched.ok()) {
    return fail(std::move(replay->done), launched.status());
  }
  *helper_id = (*launched)->id();
  host.WatchExit(*helper_id, [replay](const ExitInfo& exit) {
        ReplayOutcome& outcome = replay->outcome;
        outcome.exit = exit;
        if (!replay->call_ended) {
          // Still in flight: the call fails when the channel closes, which
          // may come after the exit is reported.
          replay->call_ended = true;
          outcome.call_status = absl::UnavailableError(
              absl::StrCat("the helper ended: ", exit.Describe()));
        }
        outcome.died_in_flight = replay->sent && !replay->answered &&
                                 !replay->timed_out &&
                                 exit.kind != ExitKind::kLaunchFailed &&
                                 exit.kind != ExitKind::kHostShutdown &&
                                 exit.kind != ExitKind::kStoppedByHost &&
                                 exit.kind != ExitKind::kKilledByHost;
        auto done = std::move(replay->done);
        done(std::move(outcome));
      });
}

bool ReproducesDeath(const Repro& repro, const ReplayOutcome& outcome) {
  const ExitInfo& was = repro.exit;
  const ExitInfo& now = outcome.exit;
  if (!outcome.died_in_flight || was.kind != now.kind) return false;
  switch (was.kind) {
    case ExitKind::kCrashed:
      return was.signal == now.signal;
    case ExitKind::kErrorExit:
      return was.exit_code == now.exit_code;
    case ExitKind::kSandboxViolation:
      return was.syscall == now.syscall;
    default:
      return true;
  }
}

}  // namespace bulkhead
