#include "mode_run.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
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
// The longest the host's loop may be later for a 20 ms timer than the
// machine (a thread outside it, reference_ticker.h) over the same tick:
// beyond it, a helper's misbehaviour (or its end) stalled the host.
constexpr absl::Duration kLagTick = absl::Milliseconds(20);
constexpr absl::Duration kMaxLoopLag = absl::Milliseconds(500);
constexpr absl::Duration kStopGrace = absl::Milliseconds(300);
// Host::Shutdown's at the end of a mode: long enough for a crash handler to
// finish its report. A crash cut short by the host's SIGTERM reads as
// host-shutdown today, though the host holds the crash's stack (issue 13,
// item 8).
constexpr absl::Duration kShutdownGrace = absl::Seconds(1);

// A repeating or one-shot libuv timer running a callable on the host's loop.
}  // namespace

std::string ModeRun::Tag(const std::string& what) const {
  return absl::StrCat(kTagSwitch, nonce_, "/", ModeName(mode_), "/", what, "/");
}

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
  reference_ = std::make_unique<ReferenceTicker>(kLagTick);
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
        const bool never_ready = current_case().expected(mode_).never_ready;
        if (!ready.ok()) {
          if (!never_ready) {
            Fail(absl::StrCat("never ready: ", ready.status().ToString()));
          }
          return;  // The exit report follows.
        }
        if (never_ready) Fail("ready, though its launch should fail");
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
  // The ticker's lag since the previous tick: over the same stretch.
  measured().lag.Add(now - last_tick_ - kLagTick, reference_->TakeMaxLag());
  last_tick_ = now;
}

void ModeRun::CheckLag(const Result& result) {
  loop_stalls_.lag.Add(result.lag.max_loop(), result.lag.max_machine());
  if (result.lag.max_stall() > kMaxLoopLag) {
    const auto ms = [](absl::Duration d) {
      return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(1)));
    };
    loop_stalls_.problems.push_back(absl::StrCat(
        result.name, ": the host's loop stalled for ",
        ms(result.lag.max_stall()), " (a 20 ms timer ran ",
        ms(result.lag.max_loop()), " late at most; a thread outside it ",
        ms(result.lag.max_machine()), ")"));
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
}  // namespace adversarial
