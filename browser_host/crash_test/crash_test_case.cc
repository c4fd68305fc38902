// One crash-test case: a fresh host, the victim and a sibling under load, the
// fault, and what followed. Every step is driven by the host's events; the
// only timers are the sibling's load and the case's deadline.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "browser_host/crash_test/crash_test.h"
#include "browser_host/crash_test/crash_test_internal.h"
#include "browser_host/demo_work.h"
#include "helper/diagnostics/fault_injection.h"
#include "host/host.h"
#include "host/supervisor.h"
#include "ipc/uv_handle.h"

namespace bulkhead {
namespace {

constexpr absl::Duration kLoadInterval = absl::Milliseconds(20);
constexpr absl::Duration kCallDeadline = absl::Seconds(3);
// Sibling answers needed before the fault: the load is really flowing.
constexpr int kWarmUpAnswers = 2;

class CaseRun {
 public:
  CaseRun(const RoleRegistry& roles, const CrashTestOptions& options,
          const std::string& role, const std::string& fault)
      : roles_(roles), options_(options), escape_(fault == "escape") {
    result_.role = role;
    result_.fault = fault;
    sibling_role_ = role == "renderer" ? "gpu" : "renderer";
    sandboxed_ = options.sandbox_helpers && SandboxedLaunchAvailable();
    if (!escape_) expected_ = ExpectationFor(fault, sandboxed_);
    // In this process's environment before any helper of the case starts.
    if (escape_) PlantEnvironmentCanary();
  }

  CrashCaseResult Run();

 private:
  double Ms(absl::Time t) const {
    return absl::ToDoubleMilliseconds(t - start_);
  }
  double Now() const { return Ms(absl::Now()); }
  absl::Status StartHost();
  void OnLifecycle(const LifecycleEvent& event);
  void OnStarted(HelperProcess& helper);
  void OnExited(const ExitInfo& exit);
  void OnTick();
  void SendLoad(uint64_t id);
  void MaybeInject();
  void InjectEscape(HelperProcess& victim);
  void OnEscapeAnswer(absl::StatusOr<ipc::Control> answer);
  void CheckWorks(uint64_t id);
  void MaybeFinish();
  void Finish(CaseVerdict verdict, std::string reason);
  // The fault window: from the injection until the replacement is Ready (or
  // the escape answered) and at least one sibling call made in it ended.
  bool InWindow(double at) const {
    return result_.fault_ms.has_value() && at >= *result_.fault_ms &&
           !window_end_ms_.has_value();
  }
  void MaybeCloseWindow() {
    if (recovered_ && load_.calls > 0 && !window_end_ms_) {
      window_end_ms_ = Now();
    }
  }

  const RoleRegistry& roles_;
  const CrashTestOptions& options_;
  const bool escape_;
  bool sandboxed_ = false;
  std::string sibling_role_;
  CaseExpectation expected_;
  CrashCaseResult result_;
  absl::Time start_;

  std::unique_ptr<Host> host_;
  std::unique_ptr<Supervisor> supervisor_;
  std::unique_ptr<EscapeListeners> listeners_;
  ipc::UvHandle<uv_timer_t> load_timer_;
  ipc::UvHandle<uv_timer_t> deadline_timer_;

  std::map<uint64_t, HelperSpan> spans_;  // By helper id.
  uint64_t victim_id_ = 0;
  uint64_t sibling_id_ = 0;
  uint64_t replacement_id_ = 0;
  std::map<uint64_t, bool> in_flight_;  // Sibling id -> a call outstanding.
  int window_calls_in_flight_ = 0;
  int warm_answers_ = 0;
  SiblingLoad load_;
  std::optional<double> window_end_ms_;
  int ticks_after_fault_ = 0;
  bool recovered_ = false;  // Replacement Ready, or the escape answered.
  bool injected_ = false;
  bool exit_matched_ = false;
  bool works_checked_ = false;
  std::string failure_;  // First reason the case fails.
  bool finishing_ = false;
  bool shut_down_ = false;
};

absl::Status CaseRun::StartHost() {
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Create(CrashCaseHostOptions(roles_, options_, result_.role,
                                        result_.fault, sandboxed_));
  if (!host.ok()) return host.status();
  host_ = *std::move(host);
  host_->SetLifecycleHandler(
      [this](const LifecycleEvent& event) { OnLifecycle(event); });
  Supervisor::Events events;
  events.on_started = [this](HelperProcess& helper) { OnStarted(helper); };
  events.on_exited = [this](const ExitInfo& exit,
                            std::optional<absl::Duration>) { OnExited(exit); };
  events.on_role_failed = [this](const std::string& role,
                                 const std::string& why) {
    Finish(CaseVerdict::kFail, absl::StrCat("role ", role, " failed: ", why));
  };
  supervisor_ = std::make_unique<Supervisor>(*host_, std::move(events));
  for (const std::string* role : {&result_.role, &sibling_role_}) {
    if (absl::Status status =
            supervisor_->Supervise(*role, 1, CrashCaseRestartPolicy());
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

void CaseRun::OnLifecycle(const LifecycleEvent& event) {
  RecordLifecycle(event, Now(), spans_[event.helper_id]);
}

void CaseRun::OnStarted(HelperProcess& helper) {
  if (helper.role() == sibling_role_) {
    if (sibling_id_ == 0) sibling_id_ = helper.id();
    return;
  }
  if (victim_id_ == 0) {
    victim_id_ = helper.id();
    spans_[victim_id_].victim = true;
    MaybeInject();
    return;
  }
  if (injected_ && replacement_id_ == 0 && !finishing_) {
    replacement_id_ = helper.id();
    result_.replacement_ms = Now();
    recovered_ = true;
    MaybeCloseWindow();
    CheckWorks(replacement_id_);
  }
}

void CaseRun::OnExited(const ExitInfo& exit) {
  if (finishing_) return;
  if (exit.helper_id != victim_id_) {
    Finish(CaseVerdict::kFail,
           absl::StrCat("sibling ", exit.role, "-", exit.helper_id,
                        " ended: ", exit.Describe()));
    return;
  }
  result_.detected_ms = Now();
  result_.observed = exit.Describe();
  if (!injected_) {
    Finish(CaseVerdict::kFail, "the victim ended before the fault");
    return;
  }
  if (escape_) {
    Finish(CaseVerdict::kFail, "the escape attempts ended the helper");
    return;
  }
  const std::string mismatch = ExitMismatch(expected_, exit);
  if (!mismatch.empty()) failure_ = mismatch;
  exit_matched_ = mismatch.empty();
}

void CaseRun::OnTick() {
  if (CrashTestInterrupted())
    Finish(CaseVerdict::kFail, "interrupted (SIGINT)");
  if (injected_) ++ticks_after_fault_;
  if (sibling_id_ != 0) SendLoad(sibling_id_);
  MaybeFinish();
}

void CaseRun::SendLoad(uint64_t id) {
  HelperProcess* helper = host_->FindHelper(id);
  if (helper == nullptr || in_flight_[id] || finishing_) return;
  in_flight_[id] = true;
  const double sent = Now();
  const bool counted = InWindow(sent);
  if (counted) ++window_calls_in_flight_;
  SendSampleWork(*helper, absl::Now() + kCallDeadline,
                 [this, id, sent, counted](absl::StatusOr<std::string> answer) {
                   in_flight_[id] = false;
                   if (counted) {
                     --window_calls_in_flight_;
                     ++load_.calls;
                     if (!answer.ok()) ++load_.failures;
                     load_.worst_latency_ms =
                         std::max(load_.worst_latency_ms, Now() - sent);
                     MaybeCloseWindow();
                   } else if (answer.ok() && !injected_) {
                     ++warm_answers_;
                     MaybeInject();
                   }
                   MaybeFinish();
                 });
}

void CaseRun::MaybeInject() {
  if (injected_ || finishing_ || victim_id_ == 0 ||
      warm_answers_ < kWarmUpAnswers) {
    return;
  }
  HelperProcess* victim = host_->FindHelper(victim_id_);
  if (victim == nullptr) return;
  injected_ = true;
  load_.name = absl::StrCat(sibling_role_, "-", sibling_id_);
  if (escape_) return InjectEscape(*victim);
  result_.fault_ms = Now();
  SendLoad(sibling_id_);  // If idle: the sibling is busy as the fault hits.
  const ipc::FaultKind kind = *ParseFaultKind(result_.fault);
  victim->InjectFault(kind, kCrashTestExitCode, [this](absl::Status status) {
    if (finishing_ || absl::IsUnavailable(status)) return;  // It ended.
    if (absl::IsUnimplemented(status)) {
      return Finish(CaseVerdict::kSkipped, std::string(status.message()));
    }
    if (!status.ok()) {
      return Finish(
          CaseVerdict::kFail,
          absl::StrCat("the helper refused the fault: ", status.ToString()));
    }
    HelperProcess* victim = host_->FindHelper(victim_id_);
    if (expected_.kill_after_ack && victim != nullptr) {
      victim->Kill(HostAction::kKillRequested,
                   "crash-test: a contained fork bomb");
    }
  });
}

void CaseRun::InjectEscape(HelperProcess& victim) {
  if (!sandboxed_) {
    return Finish(CaseVerdict::kSkipped,
                  "helpers are not sandboxed: nothing to escape from");
  }
  listeners_ = EscapeListeners::Create(host_->loop());
  ipc::Control request;
  request.mutable_fault()->set_kind(ipc::FAULT_KIND_ESCAPE);
  HelperProcess* sibling = host_->FindHelper(sibling_id_);
  listeners_->FillTargets(sibling != nullptr ? sibling->pid() : 0,
                          *request.mutable_fault()->mutable_escape_targets());
  FillViewTargets(victim.sandbox_policy().filesystem,
                  *request.mutable_fault()->mutable_escape_targets());
  result_.fault_ms = Now();
  SendLoad(sibling_id_);
  victim.CallControl(request, absl::Now() + absl::Seconds(60),
                     [this](absl::StatusOr<ipc::Control> answer) {
                       OnEscapeAnswer(std::move(answer));
                     });
}

void CaseRun::OnEscapeAnswer(absl::StatusOr<ipc::Control> answer) {
  if (finishing_) return;
  recovered_ = true;
  MaybeCloseWindow();
  if (!answer.ok()) {
    return Finish(CaseVerdict::kFail, absl::StrCat("no escape results: ",
                                                   answer.status().ToString()));
  }
  const EscapeVerdict verdict = JudgeEscape(result_.role, answer->fault());
  result_.escape_attempts = verdict.attempts;
  result_.escape_blocked = verdict.blocked;
  result_.observed = absl::StrCat(verdict.blocked, " of ", verdict.attempts,
                                  " attempts blocked");
  if (answer->fault().escape_results().empty()) {
    return Finish(CaseVerdict::kSkipped,
                  "no escape-attempt suite on this platform");
  }
  if (!verdict.unblocked.empty())
    failure_ = "not blocked: " + verdict.unblocked;
  exit_matched_ = verdict.unblocked.empty();
  CheckWorks(victim_id_);  // Still alive, still working.
}

void CaseRun::CheckWorks(uint64_t id) {
  HelperProcess* helper = host_->FindHelper(id);
  if (helper == nullptr) {
    return Finish(CaseVerdict::kFail, "the helper to check is gone");
  }
  SendSampleWork(*helper, absl::Now() + kCallDeadline,
                 [this](absl::StatusOr<std::string> answer) {
                   if (!answer.ok() && failure_.empty()) {
                     failure_ = absl::StrCat("its work failed afterwards: ",
                                             answer.status().ToString());
                   }
                   works_checked_ = true;
                   MaybeFinish();
                 });
}

void CaseRun::MaybeFinish() {
  if (finishing_ || !works_checked_ || !window_end_ms_ ||
      window_calls_in_flight_ > 0 || ticks_after_fault_ == 0) {
    return;
  }
  if (!escape_ && !result_.detected_ms.has_value()) return;
  if (failure_.empty() && load_.failures > 0) {
    failure_ = absl::StrCat(load_.name, " failed ", load_.failures, " of ",
                            load_.calls, " calls during the fault");
  }
  const bool pass = failure_.empty() && exit_matched_;
  Finish(pass ? CaseVerdict::kPass : CaseVerdict::kFail, failure_);
}

void CaseRun::Finish(CaseVerdict verdict, std::string reason) {
  if (finishing_) return;
  finishing_ = true;
  result_.verdict = verdict;
  result_.reason = std::move(reason);
  supervisor_->StopRestarting();
  host_->Shutdown(absl::Seconds(1), [this] {
    shut_down_ = true;
    host_->Quit();
  });
}

CrashCaseResult CaseRun::Run() {
  start_ = absl::Now();
  result_.expected =
      escape_ ? "alive; every attempt blocked" : expected_.description;
  if (!expected_.skip_reason.empty()) {
    result_.verdict = CaseVerdict::kSkipped;
    result_.reason = expected_.skip_reason;
    return result_;
  }
  if (absl::Status started = StartHost(); !started.ok()) {
    result_.verdict = CaseVerdict::kFail;
    result_.reason = started.ToString();
    return result_;
  }
  auto start_timer = [this](ipc::UvHandle<uv_timer_t>& timer,
                            absl::Duration after, absl::Duration repeat,
                            uv_timer_cb callback) {
    timer = ipc::UvHandle<uv_timer_t>(host_->loop());
    timer->data = this;
    uv_timer_start(timer.get(), callback, absl::ToInt64Milliseconds(after),
                   absl::ToInt64Milliseconds(repeat));
  };
  start_timer(load_timer_, kLoadInterval, kLoadInterval,
              [](uv_timer_t* t) { static_cast<CaseRun*>(t->data)->OnTick(); });
  const absl::Duration limit = result_.fault == "oom" ? absl::Seconds(90)
                               : escape_              ? absl::Seconds(90)
                                                      : absl::Seconds(30);
  start_timer(deadline_timer_, limit, absl::ZeroDuration(), [](uv_timer_t* t) {
    auto* run = static_cast<CaseRun*>(t->data);
    std::string waiting = !run->injected_ ? "the helpers to be ready"
                          : !run->result_.detected_ms && !run->escape_
                              ? "the victim's exit report"
                              : "the replacement and the load to settle";
    run->Finish(CaseVerdict::kFail, "timed out waiting for " + waiting);
  });
  host_->Run();
  result_.duration_ms = Now();
  result_.host_stayed_up = shut_down_ && ticks_after_fault_ > 0;
  load_timer_.Close();
  deadline_timer_.Close();
  listeners_.reset();
  uv_run(host_->loop(), UV_RUN_NOWAIT);  // The close callbacks.
  supervisor_.reset();
  host_.reset();
  if (!load_.name.empty()) result_.siblings.push_back(load_);
  for (auto& [id, span] : spans_) result_.helpers.push_back(std::move(span));
  return result_;
}

}  // namespace

CrashCaseResult RunCrashCase(const RoleRegistry& roles,
                             const CrashTestOptions& options,
                             const std::string& role,
                             const std::string& fault) {
  return CaseRun(roles, options, role, fault).Run();
}

}  // namespace bulkhead
