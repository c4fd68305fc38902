// One-shot tasks: each request runs in a fresh helper of a role that is
// discarded afterwards (one sandbox per untrusted input), and the result is
// the reply together with how that helper ended.
//
//   bulkhead::OneShotRunner::Options options;
//   options.role = "decoder";
//   options.warm_spare = true;
//   auto runner = bulkhead::OneShotRunner::Create(*host, options);
//   (*runner)->Run<DecodeRequest, DecodeResponse>(
//       request, absl::Seconds(5),
//       [](bulkhead::OneShotResult<DecodeResponse> result) {
//         // result.reply, and result.exit: how its helper ended.
//       });
//
// A run launches a helper (or takes the warm spare), calls it once, then
// stops it (HelperProcess::Stop with Options::stop_grace: its exit is then
// kStoppedByHost unless it did something else first) and completes once the
// helper has been reaped, so `exit` is always the real end. The reply is:
//  - the helper's reply, or its handler's error;
//  - DEADLINE_EXCEEDED when the deadline (launch included) passed first; the
//    helper is then killed (`exit` is kKilledByHost);
//  - UNAVAILABLE when the helper ended first, or could not be launched, with
//    the ExitInfo attached (ExitInfoFromStatus, host/exit_info_status.h);
//  - CANCELLED when the runner was destroyed first (`exit` is then empty).
// No completion runs inside the `Run` that started it.
//
// Fast where the platform allows: with LaunchOverrides::sandboxed false (or a
// host that does not sandbox), Linux forks the helper from the host's zygote
// (Host::Options::fork_helpers_from_zygote); with `warm_spare` one helper is
// launched ahead, so a run does not wait for a launch unless runs come faster
// than launches. A spare that cannot launch is not relaunched until the next
// run, so a role that cannot launch never makes the runner spin.
//
// Thread: the host's loop thread. The host must outlive the runner.
#ifndef BULKHEAD_HOST_ONE_SHOT_RUNNER_H_
#define BULKHEAD_HOST_ONE_SHOT_RUNNER_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "host/exit_info.h"
#include "host/helper_pool.h"
#include "host/host.h"

namespace bulkhead {

template <typename Resp>
struct OneShotResult {
  absl::StatusOr<Resp> reply;
  // How the run's helper ended; empty only when the runner was destroyed
  // before the helper was reaped.
  std::optional<ExitInfo> exit;
};

class BULKHEAD_EXPORT OneShotRunner {
 public:
  struct Options {
    std::string role;
    // Keep one helper launched ahead for the next run.
    bool warm_spare = false;
    // The grace of a helper being discarded (HelperProcess::Stop).
    absl::Duration stop_grace = absl::Seconds(1);
    // How each helper is launched; `restart` is always false.
    Host::LaunchOverrides launch;
  };

  // The host's error when it refuses the role. Launches the spare, if asked.
  static absl::StatusOr<std::unique_ptr<OneShotRunner>> Create(Host& host,
                                                               Options options);
  // Runs not yet completed complete now, on this thread, with CANCELLED and
  // no `exit` (their completions must not call the runner); every helper of
  // the runner is killed.
  ~OneShotRunner();
  OneShotRunner(const OneShotRunner&) = delete;
  OneShotRunner& operator=(const OneShotRunner&) = delete;

  // Runs `request` in a fresh helper (Serve<Req, Resp> there); `done` runs
  // once, later, on the loop thread. `timeout` counts from now.
  template <typename Req, typename Resp>
  void Run(const Req& request, absl::Duration timeout,
           absl::AnyInvocable<void(OneShotResult<Resp>)> done) {
    RunJob(std::make_unique<TypedJob<Req, Resp>>(request, std::move(done)),
           timeout);
  }

  // Runs started, and those that used the warm spare.
  uint64_t runs() const;
  uint64_t spares_used() const;

  // A run's request and completion, without their types.
  class Job : public HelperPool::Task {
   public:
    // Runs the app's completion with how the helper ended.
    virtual void Complete(absl::StatusOr<Reply> result,
                          std::optional<ExitInfo> exit) = 0;
    void Finish(absl::StatusOr<Reply> result) override {
      Complete(std::move(result), std::nullopt);
    }
  };

 private:
  template <typename Req, typename Resp>
  class TypedJob final : public Job {
   public:
    TypedJob(const Req& request,
             absl::AnyInvocable<void(OneShotResult<Resp>)> done)
        : request_(request), done_(std::move(done)) {}
    void Start(HelperProcess& helper, absl::Time deadline,
               HelperProcess::CallOptions call,
               absl::AnyInvocable<void(absl::StatusOr<Reply>)> done) override {
      CallHelper<Req, Resp>(helper, request_, deadline, call, std::move(done));
    }
    void Complete(absl::StatusOr<Reply> result,
                  std::optional<ExitInfo> exit) override {
      OneShotResult<Resp> out{absl::StatusOr<Resp>(absl::UnknownError("")),
                              std::move(exit)};
      if (result.ok()) {
        out.reply = std::move(*static_cast<Resp*>(result->get()));
      } else {
        out.reply = result.status();
      }
      done_(std::move(out));
    }

   private:
    const Req request_;
    absl::AnyInvocable<void(OneShotResult<Resp>)> done_;
  };

  class Core;  // one_shot_runner.cc.
  explicit OneShotRunner(std::unique_ptr<Core> core);
  void RunJob(std::unique_ptr<Job> job, absl::Duration timeout);

  std::unique_ptr<Core> core_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_ONE_SHOT_RUNNER_H_
