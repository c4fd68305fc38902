// One mode's run of the adversarial cases (sandboxed or not): a host of its
// own, a sibling that must keep answering, every case in turn, then a host
// shutdown racing helpers that misbehave on their way out. See
// adversarial_main.cc for what is checked.
//
// Thread: the one that calls Run(), which runs the host's loop.
#ifndef BULKHEAD_TESTS_ADVERSARIAL_MODE_RUN_H_
#define BULKHEAD_TESTS_ADVERSARIAL_MODE_RUN_H_

#include <google/protobuf/wrappers.pb.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adversarial_cases.h"
#include "bulkhead/helper.h"
#include "bulkhead/host.h"
#include "bulkhead/ipc/uv_handle.h"
#include "reference_ticker.h"

namespace adversarial {

class Timer {
 public:
  explicit Timer(uv_loop_t* loop) : timer_(loop) { timer_->data = this; }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void Start(absl::Duration after, absl::Duration repeat,
             absl::AnyInvocable<void()> fire) {
    fire_ = std::move(fire);
    uv_timer_start(
        timer_.get(),
        [](uv_timer_t* timer) {
          if (auto* self = static_cast<Timer*>(timer->data)) self->fire_();
        },
        absl::ToInt64Milliseconds(after), absl::ToInt64Milliseconds(repeat));
  }
  void Stop() { uv_timer_stop(timer_.get()); }

 private:
  bulkhead::ipc::UvHandle<uv_timer_t> timer_;
  absl::AnyInvocable<void()> fire_;
};

struct Result {
  std::string name;
  std::vector<std::string> problems;
  std::string described;
  // From the launch: when it was ready, when its exit was reported, when the
  // case ended (everything it left had gone).
  absl::Duration ready_after, exit_after, took;
  // How late the host's loop was for a 20 ms tick meanwhile, against a
  // thread outside it (reference_ticker.h): the machine's share.
  LoopLag lag;
};

// One mode's run: a host, a sibling, then every case in turn, then a host
// shutdown racing helpers that misbehave on their way out.
class ModeRun {
 public:
  ModeRun(Mode mode, const bulkhead::RoleRegistry& roles, std::string nonce,
          std::vector<Case> cases)
      : mode_(mode),
        roles_(roles),
        nonce_(std::move(nonce)),
        cases_(std::move(cases)) {}

  // One result per case, then the mode's own checks ("host/<mode>").
  std::vector<Result> Run();

 private:
  // Unique per mode and case, ending in '/' so that no tag is a prefix of
  // another.
  std::string Tag(const std::string& what) const;
  bulkhead::Host::LaunchOverrides Overrides(const std::string& what) const;
  const Case& current_case() const { return cases_[index_]; }
  void Fail(std::string problem) {
    current_.problems.push_back(std::move(problem));
  }
  void FailMode(std::string problem) {
    mode_checks_.problems.push_back(std::move(problem));
  }
  void FailRace(std::string problem) {
    shutdown_race_.problems.push_back(std::move(problem));
  }
  // The result that the loop's lag counts against now.
  Result& measured() {
    return index_ < cases_.size() ? current_ : shutdown_race_;
  }
  void OnLagTick();
  // Records in `loop_stalls_` when the loop stalled too long during `result`.
  void CheckLag(const Result& result);
  void Call(
      uint64_t id, const std::string& arg, absl::Duration timeout,
      absl::AnyInvocable<void(absl::StatusOr<google::protobuf::StringValue>)>
          done);
  // Runs `then` after the call, unless the case moved on meanwhile.
  void CallInCase(
      const std::string& arg, absl::Duration timeout,
      absl::AnyInvocable<void(absl::StatusOr<google::protobuf::StringValue>)>
          then);

  void OnSiblingReady(absl::StatusOr<bulkhead::HelperProcess*> sibling);
  void PingSibling();
  void StartCase();
  void Trigger();
  void CheckFirstCall(
      const absl::StatusOr<google::protobuf::StringValue>& reply);
  void StopHelper();
  void OnCaseTimeout();
  void OnExit(const bulkhead::ExitInfo& exit);
  // What the helper of the current case left behind, so far.
  std::vector<std::string> LeftBehind();
  void Settle();
  void FinishCase();
  void StartFinalShutdown();
  void OnFinalShutdownDone();

  const Mode mode_;
  const bulkhead::RoleRegistry& roles_;
  const std::string nonce_;
  const std::vector<Case> cases_;

  std::unique_ptr<bulkhead::Host> host_;
  std::unique_ptr<Timer> pinger_;
  std::unique_ptr<Timer> case_timer_;
  std::unique_ptr<Timer> settle_timer_;
  std::unique_ptr<Timer> lag_timer_;
  std::unique_ptr<ReferenceTicker> reference_;
  absl::Time last_tick_;
  std::vector<Result> results_;
  // The final Host::Shutdown, and the checks once the host is gone.
  Result shutdown_race_;
  // Every case during which the host's loop stalled (kept apart from the
  // cases' own verdicts: one cause, seen from many cases).
  Result loop_stalls_;
  Result mode_checks_;

  uint64_t sibling_id_ = 0;
  bool sibling_call_outstanding_ = false;
  uint64_t sibling_answers_ = 0;
  int baseline_fds_ = 0;
  std::set<pid_t> baseline_children_;

  // The current case.
  size_t index_ = 0;
  uint64_t generation_ = 0;  // Bumped per case: stale callbacks are ignored.
  Result current_;
  uint64_t helper_id_ = 0;
  absl::Time case_started_;
  bool killed_for_timeout_ = false;
  std::optional<bulkhead::ExitInfo> exit_;
  uint64_t sibling_answers_at_exit_ = 0;
  absl::Time settle_deadline_;
  bool call_made_ = false;
  int first_call_completions_ = 0;

  // The final shutdown: helper id -> what it must end as.
  std::map<uint64_t, std::pair<std::string, Expected>> final_expected_;
  int final_ready_ = 0;
  bool final_shutdown_ = false;
};

}  // namespace adversarial

#endif  // BULKHEAD_TESTS_ADVERSARIAL_MODE_RUN_H_
