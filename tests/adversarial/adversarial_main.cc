// The adversarial app: built against the installed package like any app,
// it launches helpers of its own roles (adversarial_roles.cc) that misbehave,
// each sandboxed and unsandboxed, beside a sibling that must keep answering,
// and checks the exact ExitInfo the host reports and that nothing is left
// behind: no process of the helper's (by the tag on its command line, its
// process group and session), no new child or zombie of the host, the host's
// descriptors back to where they were. Run by ctest
// (tests/adversarial/run_adversarial.cmake); prints one line per case and
// exits non-zero when a case fails that is not on the known-failures list.
//
//   adversarial_app [--only=SUBSTRING] [--mode=sandboxed|unsandboxed]
#include <google/protobuf/wrappers.pb.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adversarial_cases.h"
#include "adversarial_roles.h"
#include "bulkhead/helper.h"
#include "bulkhead/host.h"
#include "process_scan.h"

namespace adversarial {
namespace {

using bulkhead::ExitInfo;
using bulkhead::HelperProcess;
using bulkhead::Host;
using google::protobuf::StringValue;

constexpr char kTagSwitch[] = "--adversarial-tag=";
// How long a case may take from launch to its exit report.
constexpr absl::Duration kCaseTimeout = absl::Seconds(10);
// How long, after the exit report, what the helper left may take to go.
constexpr absl::Duration kSettleTimeout = absl::Seconds(3);
// HelperProcess::Stop's grace in the cases, before SIGTERM and again before
// SIGKILL.
// The longest the host's loop may go without running a 20 ms timer: beyond
// it, a helper's misbehaviour (or its end) stalled the host.
constexpr absl::Duration kLagTick = absl::Milliseconds(20);
constexpr absl::Duration kMaxLoopLag = absl::Milliseconds(500);
constexpr absl::Duration kStopGrace = absl::Milliseconds(300);
// Host::Shutdown's at the end of a mode: long enough for a crash handler to
// finish its report. A crash cut short by the host's SIGTERM reads as
// host-shutdown today, though the host holds the crash's stack (issue 13,
// item 8).
constexpr absl::Duration kShutdownGrace = absl::Seconds(1);

// A repeating or one-shot libuv timer running a callable on the host's loop.
class Timer {
 public:
  explicit Timer(uv_loop_t* loop) : timer_(new uv_timer_t) {
    uv_timer_init(loop, timer_);
    timer_->data = this;
  }
  ~Timer() {
    timer_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* handle) {
      delete reinterpret_cast<uv_timer_t*>(handle);
    });
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void Start(absl::Duration after, absl::Duration repeat,
             absl::AnyInvocable<void()> fire) {
    fire_ = std::move(fire);
    uv_timer_start(
        timer_,
        [](uv_timer_t* timer) {
          if (auto* self = static_cast<Timer*>(timer->data)) self->fire_();
        },
        absl::ToInt64Milliseconds(after), absl::ToInt64Milliseconds(repeat));
  }
  void Stop() { uv_timer_stop(timer_); }

 private:
  uv_timer_t* timer_;  // Freed by its close callback.
  absl::AnyInvocable<void()> fire_;
};

struct Result {
  std::string name;
  std::vector<std::string> problems;
  std::string described;
  // From the launch: when it was ready, when its exit was reported, when the
  // case ended (everything it left had gone).
  absl::Duration ready_after, exit_after, took;
  // The longest the host's loop was late for a 20 ms tick meanwhile.
  absl::Duration max_loop_lag;
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
  std::string Tag(const std::string& what) const {
    return absl::StrCat(kTagSwitch, nonce_, "/", ModeName(mode_), "/", what,
                        "/");
  }
  Host::LaunchOverrides Overrides(const std::string& what) const;
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
  void Call(uint64_t id, const std::string& arg, absl::Duration timeout,
            absl::AnyInvocable<void(absl::StatusOr<StringValue>)> done);
  // Runs `then` after the call, unless the case moved on meanwhile.
  void CallInCase(const std::string& arg, absl::Duration timeout,
                  absl::AnyInvocable<void(absl::StatusOr<StringValue>)> then);

  void OnSiblingReady(absl::StatusOr<HelperProcess*> sibling);
  void PingSibling();
  void StartCase();
  void Trigger();
  void CheckFirstCall(const absl::StatusOr<StringValue>& reply);
  void StopHelper();
  void OnCaseTimeout();
  void OnExit(const ExitInfo& exit);
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

  std::unique_ptr<Host> host_;
  std::unique_ptr<Timer> pinger_;
  std::unique_ptr<Timer> case_timer_;
  std::unique_ptr<Timer> settle_timer_;
  std::unique_ptr<Timer> lag_timer_;
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
  std::optional<ExitInfo> exit_;
  uint64_t sibling_answers_at_exit_ = 0;
  absl::Time settle_deadline_;
  bool call_made_ = false;
  int first_call_completions_ = 0;

  // The final shutdown: helper id -> what it must end as.
  std::map<uint64_t, std::pair<std::string, Expected>> final_expected_;
  int final_ready_ = 0;
  bool final_shutdown_ = false;
};

Host::LaunchOverrides ModeRun::Overrides(const std::string& what) const {
  Host::LaunchOverrides overrides;
  overrides.sandboxed = mode_ == Mode::kSandboxed;
  overrides.restart = false;
  overrides.extra_args = {Tag(what)};
  return overrides;
}

std::vector<Result> ModeRun::Run() {
  mode_checks_.name = absl::StrCat("host/", ModeName(mode_));
  shutdown_race_.name = absl::StrCat("host-shutdown-race/", ModeName(mode_));
  loop_stalls_.name = absl::StrCat("host-loop-never-stalls/", ModeName(mode_));
  Host::Options options;
  options.roles = &roles_;
  // Also how long the host waits for a helper that hung up to exit before it
  // signals it: short, for the channel cases.
  options.handshake_timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  if (!host.ok()) {
    FailMode(host.status().ToString());
    return {mode_checks_};
  }
  host_ = *std::move(host);
  pinger_ = std::make_unique<Timer>(host_->loop());
  case_timer_ = std::make_unique<Timer>(host_->loop());
  settle_timer_ = std::make_unique<Timer>(host_->loop());
  lag_timer_ = std::make_unique<Timer>(host_->loop());
  host_->SetExitHandler([this](const ExitInfo& exit) { OnExit(exit); });
  absl::StatusOr<HelperProcess*> sibling =
      host_->Launch("echo", Overrides("sibling"),
                    [this](absl::StatusOr<HelperProcess*> ready) {
                      OnSiblingReady(std::move(ready));
                    });
  if (!sibling.ok()) {
    FailMode(absl::StrCat("sibling: ", sibling.status().ToString()));
    return {mode_checks_};
  }
  sibling_id_ = (*sibling)->id();
  host_->Run();
  pinger_.reset();
  case_timer_.reset();
  settle_timer_.reset();
  lag_timer_.reset();
  host_.reset();
  // The host is gone: so must be every process of this mode's helpers and
  // every child of this process (the zygote among them).
  // (A helper's teardown keeper may still be unmapping its memory: a moment.)
  const std::vector<pid_t> left = WaitUntilGone(
      ProcessesWithArgumentPrefix(
          absl::StrCat(kTagSwitch, nonce_, "/", ModeName(mode_), "/")),
      static_cast<int>(absl::ToInt64Milliseconds(kSettleTimeout)));
  if (!left.empty()) {
    FailMode(absl::StrCat(
        "after the host was destroyed, processes of its helpers live on: ",
        absl::StrJoin(left, " ")));
    for (pid_t pid : left) kill(pid, SIGKILL);
  }
  for (const ProcessRecord& child : ChildrenOf(getpid())) {
    FailMode(absl::StrCat("after the host was destroyed, child ", child.pid,
                          " (state ", std::string(1, child.state),
                          ") is left"));
  }
  CheckLag(shutdown_race_);
  results_.push_back(shutdown_race_);
  results_.push_back(loop_stalls_);
  results_.push_back(mode_checks_);
  return results_;
}

void ModeRun::Call(uint64_t id, const std::string& arg, absl::Duration timeout,
                   absl::AnyInvocable<void(absl::StatusOr<StringValue>)> done) {
  HelperProcess* helper = host_->FindHelper(id);
  if (helper == nullptr) {
    done(absl::NotFoundError("the helper is gone"));
    return;
  }
  StringValue request;
  request.set_value(arg);
  helper->Call<StringValue, StringValue>(request, absl::Now() + timeout,
                                         std::move(done));
}

void ModeRun::CallInCase(
    const std::string& arg, absl::Duration timeout,
    absl::AnyInvocable<void(absl::StatusOr<StringValue>)> then) {
  Call(helper_id_, arg, timeout,
       [this, generation = generation_,
        then = std::move(then)](absl::StatusOr<StringValue> reply) mutable {
         if (generation == generation_) then(std::move(reply));
       });
}

void ModeRun::OnSiblingReady(absl::StatusOr<HelperProcess*> sibling) {
  if (!sibling.ok()) {
    FailMode(
        absl::StrCat("sibling never ready: ", sibling.status().ToString()));
    host_->Quit();
    return;
  }
  Call(sibling_id_, "warm-up", absl::Seconds(5),
       [this](absl::StatusOr<StringValue> reply) {
         if (!reply.ok()) {
           FailMode(absl::StrCat("sibling: ", reply.status().ToString()));
           host_->Quit();
           return;
         }
         // Descriptors and children with the sibling (and the zygote) up.
         baseline_fds_ = OpenDescriptorCount();
         for (const ProcessRecord& child : ChildrenOf(getpid())) {
           baseline_children_.insert(child.pid);
         }
         pinger_->Start(absl::Milliseconds(25), absl::Milliseconds(25),
                        [this] { PingSibling(); });
         last_tick_ = absl::Now();
         lag_timer_->Start(kLagTick, kLagTick, [this] { OnLagTick(); });
         StartCase();
       });
}

void ModeRun::PingSibling() {
  if (sibling_call_outstanding_ || final_shutdown_) return;
  sibling_call_outstanding_ = true;
  const std::string text = absl::StrCat("sibling-", sibling_answers_);
  Call(sibling_id_, text, absl::Seconds(2),
       [this, text](absl::StatusOr<StringValue> reply) {
         sibling_call_outstanding_ = false;
         std::string problem;
         if (!reply.ok()) {
           problem =
               absl::StrCat("sibling call failed: ", reply.status().ToString());
         } else if (reply->value() != text) {
           problem = absl::StrCat("sibling answered \"", reply->value(), "\"");
         } else {
           ++sibling_answers_;
           return;
         }
         if (index_ < cases_.size()) {
           Fail(std::move(problem));
         } else {
           FailMode(std::move(problem));
         }
       });
}

void ModeRun::StartCase() {
  if (index_ >= cases_.size()) {
    StartFinalShutdown();
    return;
  }
  ++generation_;
  const Case& c = current_case();
  current_ = Result{};
  current_.name = absl::StrCat(c.name, "/", ModeName(mode_));
  exit_.reset();
  killed_for_timeout_ = false;
  call_made_ = false;
  first_call_completions_ = 0;
  case_started_ = absl::Now();
  Host::LaunchOverrides overrides = Overrides(c.name);
  if (c.memory_limit_bytes != 0) {
    overrides.memory_limit_bytes = c.memory_limit_bytes;
  }
  if (c.fast_heartbeat) {
    bulkhead::Heartbeat::Options heartbeat;
    heartbeat.interval = absl::Milliseconds(100);
    heartbeat.timeout = absl::Milliseconds(500);
    overrides.heartbeat = heartbeat;
  }
  absl::StatusOr<HelperProcess*> helper = host_->Launch(
      c.role, std::move(overrides),
      [this, generation = generation_](absl::StatusOr<HelperProcess*> ready) {
        if (generation != generation_) return;
        current_.ready_after = absl::Now() - case_started_;
        if (!ready.ok()) {
          Fail(absl::StrCat("never ready: ", ready.status().ToString()));
          return;  // The exit report follows.
        }
        Trigger();
      });
  if (!helper.ok()) {
    Fail(absl::StrCat("launch: ", helper.status().ToString()));
    FinishCase();
    return;
  }
  helper_id_ = (*helper)->id();
  case_timer_->Start(kCaseTimeout, absl::ZeroDuration(),
                     [this] { OnCaseTimeout(); });
}

void ModeRun::Trigger() {
  const Case& c = current_case();
  call_made_ = true;
  CallInCase(c.arg, c.call_timeout, [this](absl::StatusOr<StringValue> reply) {
    CheckFirstCall(reply);
    const Case& c = current_case();
    switch (c.trigger) {
      case Trigger::kCall:
        return;
      case Trigger::kStop:
      case Trigger::kStopFromCallCompletion:
        StopHelper();
        return;
      case Trigger::kCallThenStop:
        CallInCase(c.follow_up_arg, absl::Seconds(5),
                   [this](absl::StatusOr<StringValue> reply) {
                     const bool exhausted =
                         current_case().follow_up_may_be_exhausted &&
                         absl::IsResourceExhausted(reply.status());
                     if (!reply.ok() && !exhausted) {
                       Fail(absl::StrCat("follow-up call failed: ",
                                         reply.status().ToString()));
                     }
                     StopHelper();
                   });
        return;
    }
  });
}

void ModeRun::CheckFirstCall(const absl::StatusOr<StringValue>& reply) {
  if (++first_call_completions_ > 1) {
    Fail("the call completed more than once");
    return;
  }
  const Expected& expected = current_case().expected(mode_);
  const std::string got =
      reply.ok() ? absl::StrCat("OK \"", reply->value().substr(0, 40), "\"")
                 : reply.status().ToString();
  switch (expected.call) {
    case CallOutcome::kAny:
      return;
    case CallOutcome::kOk:
      if (!reply.ok() ||
          !absl::StartsWith(reply->value(), expected.reply_prefix)) {
        Fail(absl::StrCat("call: ", got, ", expected OK \"",
                          expected.reply_prefix, "...\""));
      }
      return;
    case CallOutcome::kFails:
      if (reply.ok()) Fail(absl::StrCat("call: ", got, ", expected a failure"));
      return;
    case CallOutcome::kDeadlineExceeded:
      if (!absl::IsDeadlineExceeded(reply.status())) {
        Fail(absl::StrCat("call: ", got, ", expected DEADLINE_EXCEEDED"));
      }
      return;
  }
}

void ModeRun::StopHelper() {
  if (HelperProcess* helper = host_->FindHelper(helper_id_)) {
    helper->Stop(kStopGrace, "adversarial test");
  }
}

void ModeRun::OnCaseTimeout() {
  if (!killed_for_timeout_) {
    killed_for_timeout_ = true;
    Fail(absl::StrCat("no exit report within ",
                      absl::FormatDuration(kCaseTimeout), "; killing it"));
    if (HelperProcess* helper = host_->FindHelper(helper_id_)) {
      helper->Kill(bulkhead::HostAction::kKillRequested, "case timed out");
    }
    case_timer_->Start(absl::Seconds(5), absl::ZeroDuration(),
                       [this] { OnCaseTimeout(); });
    return;
  }
  Fail("no exit report even after Kill");
  for (pid_t pid : ProcessesWithArgumentPrefix(Tag(current_case().name))) {
    kill(pid, SIGKILL);
  }
  FinishCase();
}

void ModeRun::OnExit(const ExitInfo& exit) {
  if (auto it = final_expected_.find(exit.helper_id);
      it != final_expected_.end()) {
    for (std::string& wrong : CompareExit(exit, it->second.second)) {
      FailRace(
          absl::StrCat("at host shutdown, ", it->second.first, ": ", wrong));
    }
    final_expected_.erase(it);
    return;
  }
  if (exit.helper_id == sibling_id_) {
    FailMode(absl::StrCat("the sibling ended: ", exit.Describe()));
    return;
  }
  if (index_ >= cases_.size() || exit.helper_id != helper_id_ ||
      exit_.has_value()) {
    FailMode(absl::StrCat("unexpected exit report for ", exit.role, "-",
                          exit.helper_id, ": ", exit.Describe()));
    return;
  }
  exit_ = exit;
  current_.exit_after = absl::Now() - case_started_;
  current_.described = exit.Describe();
  for (std::string& wrong : CompareExit(exit, current_case().expected(mode_))) {
    Fail(std::move(wrong));
  }
  case_timer_->Stop();
  sibling_answers_at_exit_ = sibling_answers_;
  settle_deadline_ = absl::Now() + kSettleTimeout;
  settle_timer_->Start(absl::ZeroDuration(), absl::Milliseconds(20),
                       [this] { Settle(); });
}

std::vector<std::string> ModeRun::LeftBehind() {
  std::vector<std::string> left;
  std::vector<std::string> tagged;
  for (pid_t pid : ProcessesWithArgumentPrefix(Tag(current_case().name))) {
    tagged.push_back(std::to_string(pid));
  }
  if (!tagged.empty()) {
    left.push_back(absl::StrCat("processes of the helper live on: ",
                                absl::StrJoin(tagged, " ")));
  }
  if (exit_->pid > 0) {
    std::vector<pid_t> grouped =
        ProcessesInGroupOrSession(static_cast<pid_t>(exit_->pid));
    if (!grouped.empty()) {
      left.push_back(absl::StrCat("processes in the helper's group/session: ",
                                  absl::StrJoin(grouped, " ")));
    }
  }
  for (const ProcessRecord& child : ChildrenOf(getpid())) {
    if (baseline_children_.count(child.pid) == 0) {
      left.push_back(absl::StrCat("a new child of the host: ", child.pid,
                                  " (state ", std::string(1, child.state),
                                  ")"));
    }
  }
  const int fds = OpenDescriptorCount();
  if (fds > baseline_fds_) {
    left.push_back(absl::StrCat("the host has ", fds, " descriptors open, ",
                                baseline_fds_, " before"));
  }
  if (call_made_ && first_call_completions_ == 0) {
    left.push_back("the call never completed");
  }
  if (sibling_answers_ == sibling_answers_at_exit_) {
    left.push_back("the sibling has not answered since the exit");
  }
  return left;
}

void ModeRun::Settle() {
  std::vector<std::string> left = LeftBehind();
  if (left.empty()) {
    FinishCase();
    return;
  }
  if (absl::Now() < settle_deadline_) return;
  for (std::string& problem : left) {
    Fail(absl::StrCat("after ", absl::FormatDuration(kSettleTimeout), ": ",
                      problem));
  }
  // Clean up for the next case (and the machine).
  for (pid_t pid : ProcessesWithArgumentPrefix(Tag(current_case().name))) {
    kill(pid, SIGKILL);
  }
  FinishCase();
}

void ModeRun::OnLagTick() {
  const absl::Time now = absl::Now();
  Result& result = measured();
  result.max_loop_lag =
      std::max(result.max_loop_lag, now - last_tick_ - kLagTick);
  last_tick_ = now;
}

void ModeRun::CheckLag(const Result& result) {
  loop_stalls_.max_loop_lag =
      std::max(loop_stalls_.max_loop_lag, result.max_loop_lag);
  if (result.max_loop_lag > kMaxLoopLag) {
    loop_stalls_.problems.push_back(
        absl::StrCat(result.name, ": the host's loop stalled for ",
                     absl::FormatDuration(absl::Trunc(result.max_loop_lag,
                                                      absl::Milliseconds(1))),
                     " (a 20 ms timer ran that late)"));
  }
}

void ModeRun::FinishCase() {
  settle_timer_->Stop();
  case_timer_->Stop();
  current_.took = absl::Now() - case_started_;
  CheckLag(current_);
  results_.push_back(std::move(current_));
  ++index_;
  ++generation_;
  StartCase();
}

// Races with the host's own shutdown: helpers that crash or ignore it, beside
// the sibling, all stopped by one Host::Shutdown.
void ModeRun::StartFinalShutdown() {
  pinger_->Stop();
  Expected stopped;
  stopped.kind = bulkhead::ExitKind::kHostShutdown;
  final_expected_[sibling_id_] = {"sibling", stopped};
  Expected crashed;
  crashed.kind = bulkhead::ExitKind::kCrashed;
  crashed.signal = SIGSEGV;
  Expected killed;
  killed.kind = bulkhead::ExitKind::kHostShutdown;
  killed.signal = SIGKILL;
  const std::pair<const char*, Expected> kFinal[] = {
      {"crash-on-shutdown", crashed}, {"ignore-shutdown", killed}};
  for (const auto& [role, expected] : kFinal) {
    absl::StatusOr<HelperProcess*> helper = host_->Launch(
        role, Overrides(absl::StrCat("final-", role)),
        [this](absl::StatusOr<HelperProcess*> ready) {
          if (!ready.ok()) {
            FailRace(absl::StrCat("final helper never ready: ",
                                  ready.status().ToString()));
          }
          if (++final_ready_ == 2) {
            final_shutdown_ = true;
            host_->Shutdown(kShutdownGrace, [this] { OnFinalShutdownDone(); });
          }
        });
    if (!helper.ok()) {
      FailRace(absl::StrCat("final ", role, ": ", helper.status().ToString()));
      host_->Quit();
      return;
    }
    final_expected_[(*helper)->id()] = {role, expected};
  }
}

void ModeRun::OnFinalShutdownDone() {
  for (const auto& [id, what] : final_expected_) {
    FailRace(absl::StrCat("no exit report for ", what.first,
                          " before Shutdown's done"));
  }
  host_->Quit();
}

// The verdicts' stream: the app's stdout, kept apart from the helpers' output
// (the host forwards theirs to its own stdout and stderr, both sent to stderr).
FILE* g_verdicts = stdout;

void PrintResult(const Result& result, const std::string& status,
                 const std::string& note) {
  std::string timing = absl::StrCat(
      "loop lag ", absl::ToInt64Milliseconds(result.max_loop_lag), "ms");
  if (result.took != absl::ZeroDuration()) {  // A case, not a mode's check.
    timing = absl::StrFormat("ready %.2fs, exit %.2fs, done %.2fs, %s",
                             absl::ToDoubleSeconds(result.ready_after),
                             absl::ToDoubleSeconds(result.exit_after),
                             absl::ToDoubleSeconds(result.took), timing);
  }
  std::fprintf(g_verdicts, "%-5s %s: %s [%s]%s\n", status.c_str(),
               result.name.c_str(),
               result.described.empty() ? "-" : result.described.c_str(),
               timing.c_str(), note.c_str());
  for (const std::string& problem : result.problems) {
    std::fprintf(g_verdicts, "        %s\n", problem.c_str());
  }
}

}  // namespace
}  // namespace adversarial

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (absl::Status registered = adversarial::RegisterRoles(roles);
      !registered.ok()) {
    std::fprintf(stderr, "%s\n", registered.ToString().c_str());
    return 2;
  }
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;

  using adversarial::Mode;
  if (FILE* verdicts = fdopen(dup(STDOUT_FILENO), "w")) {
    adversarial::g_verdicts = verdicts;
    dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  FILE* const out = adversarial::g_verdicts;
  std::string only;
  std::vector<Mode> modes = {Mode::kUnsandboxed, Mode::kSandboxed};
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--only=")) {
      only = std::string(arg);
    } else if (arg == "--mode=sandboxed") {
      modes = {Mode::kSandboxed};
    } else if (arg == "--mode=unsandboxed") {
      modes = {Mode::kUnsandboxed};
    } else {
      std::fprintf(stderr,
                   "usage: %s [--only=SUBSTRING] "
                   "[--mode=sandboxed|unsandboxed]\n",
                   argv[0]);
      return 2;
    }
  }
  std::vector<adversarial::Case> cases;
  for (adversarial::Case& c : adversarial::AllCases()) {
    if (absl::StrContains(c.name, only)) cases.push_back(std::move(c));
  }
  if (!bulkhead::SandboxedLaunchAvailable()) {
    std::fprintf(out, "SKIP  every sandboxed case: no sandboxed launch here\n");
    modes.erase(std::remove(modes.begin(), modes.end(), Mode::kSandboxed),
                modes.end());
  }
  const std::string nonce =
      absl::StrCat(getpid(), "-", absl::ToUnixMicros(absl::Now()));
  const absl::Time start = absl::Now();
  int passed = 0, failed = 0;
  std::vector<std::string> xfail, xpass;
  for (Mode mode : modes) {
    adversarial::ModeRun run(mode, roles, nonce, cases);
    for (const adversarial::Result& result : run.Run()) {
      const std::string case_name =
          result.name.substr(0, result.name.rfind('/'));
      const std::optional<adversarial::KnownFailureNote> known =
          adversarial::KnownFailure(case_name, mode);
      if (result.problems.empty()) {
        ++passed;
        if (known && known->sometimes_passes) {
          PrintResult(result, "PASS",
                      " (on the known-failures list; fails only by timing)");
        } else if (known) {
          xpass.push_back(result.name);
          PrintResult(result, "XPASS",
                      " (on the known-failures list: take it off)");
        } else {
          PrintResult(result, "PASS", "");
        }
      } else if (known) {
        xfail.push_back(absl::StrCat(result.name, ": ", known->why));
        PrintResult(result, "XFAIL",
                    absl::StrCat(" (known: ", known->why, ")"));
      } else {
        ++failed;
        PrintResult(result, "FAIL", "");
      }
      std::fflush(out);
    }
  }
  std::fprintf(out, "\nKnown failures (XFAIL, not counted as failures): %zu\n",
               xfail.size());
  for (const std::string& line : xfail)
    std::fprintf(out, "  %s\n", line.c_str());
  if (!xpass.empty()) {
    std::fprintf(out, "Passing but on the known-failures list (XPASS): %s\n",
                 absl::StrJoin(xpass, ", ").c_str());
  }
  std::fprintf(
      out,
      "adversarial: %d passed, %d failed, %zu known failures, %zu xpass in "
      "%.1fs\n",
      passed, failed, xfail.size(), xpass.size(),
      absl::ToDoubleSeconds(absl::Now() - start));
  return failed == 0 ? 0 : 1;
}
