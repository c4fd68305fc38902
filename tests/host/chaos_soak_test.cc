// Chaos soak (Linux): many helpers, sandboxed (exec'd into their namespaces)
// and unsandboxed (forked by the zygote, then exec'd once the soak has killed
// the zygote), restarted by the host whenever they end, carry a steady stream
// of calls while helpers are sent random signals from outside (SIGKILL,
// SIGSEGV, SIGTERM, SIGABRT, SIGBUS, ...) and stopped and continued. Then the
// host shuts down, and the soak checks the promises:
//  - every call got exactly one callback (issued == completed, no duplicate);
//  - every helper that was launched ended exactly once, and each end is
//    classified as the host documents it (README "Crash-testing and
//    supervision", DESIGN "ExitInfo"): a signal the host did not send is
//    kCrashed with that signal; a helper kept stopped past its heartbeat is
//    kHung; what was still running at Shutdown is kHostShutdown. Anything else
//    (an unknown kind, a crash with a signal nobody sent, kBadMessage, ...)
//    fails the soak;
//  - no zombie child lingers while it runs, and after shutdown the host has no
//    children and nothing a helper started is left (no process in a helper's
//    process group or session, or running this executable);
//  - the host's fds, threads and resident memory return to their baseline.
//
// BULKHEAD_CHAOS_STRIKE_DURING_SHUTDOWN=1 keeps the chaos going while the
// host shuts down, instead of letting every killed helper's end be reported
// first: a crash then reported as host-shutdown (issue 13, item 8) fails it.
//
// Seeded: BULKHEAD_CHAOS_SEED replays a run's choices (the seed is printed
// first; the timing, and so what each choice hits, still varies).
// BULKHEAD_CHAOS_SECONDS in the environment sets how long the chaos lasts
// (default: the CMake cache variable of that name, see
// tests/host/CMakeLists.txt). Figures are printed at the end.
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "host/launch/launch_options.h"
#include "sample_roles/work.pb.h"
#include "tests/host/chaos_soak_processes_linux.h"
#include "tests/support/process_probe.h"
#include "tests/support/test_roles.h"

namespace bulkhead::testing {
namespace {

// Signals that end a helper with their default action (helpers ignore
// SIGINT and SIGPIPE, so those are left out). SIGSYS and SIGXCPU from outside
// are crashes: the soak sets no CPU limit, and a SIGSYS is a sandbox
// violation only where the host installed a seccomp filter (a sandboxed
// helper), as the host cannot tell who sent it there.
std::vector<int> LethalSignals() {
  return {SIGKILL, SIGTERM, SIGSEGV, SIGABRT, SIGBUS, SIGILL,
          SIGFPE,  SIGQUIT, SIGHUP,  SIGUSR1, SIGSYS, SIGXCPU};
}

// The heartbeat every helper gets: a stop shorter than `timeout` (less one
// interval) is survived; one longer ends the helper as kHung.
constexpr absl::Duration kPingInterval = absl::Milliseconds(500);
constexpr absl::Duration kPingTimeout = absl::Seconds(3);
constexpr absl::Duration kLongStop = absl::Milliseconds(4500);

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  int64_t parsed = 0;
  return value != nullptr && absl::SimpleAtoi(value, &parsed) ? parsed
                                                              : fallback;
}

// What the soak did to one helper, to judge how it ended.
struct Record {
  std::string role;
  int64_t pid = 0;
  bool sandboxed = false;
  std::set<int> lethal_sent;  // Signals sent that end it by default.
  bool stopped = false;       // Ever stopped.
  bool exited = false;
};

class ChaosSoak {
 public:
  ChaosSoak(uint64_t seed, absl::Duration chaos)
      : random_(seed), chaos_(chaos) {}

  static Host::Options HostOptions() {
    Host::Options options;
    options.roles = &TestRoleRegistry();
    options.handshake_timeout = absl::Seconds(10);
    options.heartbeat.interval = kPingInterval;
    options.heartbeat.timeout = kPingTimeout;
    options.forward_helper_output = false;
    RestartPolicy restart;
    restart.mode = RestartPolicy::Mode::kAlways;
    restart.initial_backoff = absl::Milliseconds(10);
    restart.max_backoff = absl::Milliseconds(100);
    // Never past the intensity limit: the soak kills far more often than any
    // real policy would tolerate.
    restart.max_restarts = 1'000'000;
    restart.window = absl::Seconds(1);
    options.default_restart_policy = restart;
    return options;
  }

  // The helpers the soak starts with: sandboxed and unsandboxed renderers
  // under calls, and unsandboxed forkers that each leave a child behind in
  // their process group.
  static std::vector<std::pair<std::string, bool>> Fleet(bool can_sandbox) {
    std::vector<std::pair<std::string, bool>> fleet;
    for (int i = 0; i < 6; ++i) fleet.emplace_back("renderer", can_sandbox);
    for (int i = 0; i < 6; ++i) fleet.emplace_back("renderer", false);
    for (int i = 0; i < 2; ++i) fleet.emplace_back("forker", false);
    return fleet;
  }

  void Run(Host& host) {
    host_ = &host;
    uv_loop_t* loop = host.loop();
    host.SetLifecycleHandler(
        [this](const LifecycleEvent& event) { OnLifecycle(event); });
    host.SetExitHandler([this](const ExitInfo&) { ++exit_handler_calls_; });
    host.SetHelperStartedHandler([this](HelperProcess& helper) {
      ++ready_;
      if (helper.sandboxed()) {
        ++sandboxed_;
      } else if (LooksForked(helper.pid())) {
        ++forked_;
      } else {
        ++exec_unsandboxed_;
      }
      if (helper.role() == "forker") Fork(helper);
    });
    host.SetRoleFailedHandler(
        [this](const std::string& role, const std::string& why) {
          failures_.push_back(absl::StrCat("role ", role, " failed: ", why));
        });
    const bool can_sandbox = SandboxedLaunchAvailable();
    for (const auto& [role, sandboxed] : Fleet(can_sandbox)) {
      Host::LaunchOverrides overrides;
      overrides.sandboxed = sandboxed;
      absl::StatusOr<HelperProcess*> launched =
          host.Launch(role, overrides, [](absl::StatusOr<HelperProcess*>) {});
      if (!launched.ok()) {
        failures_.push_back(
            absl::StrCat("launch ", role, ": ", launched.status().ToString()));
      }
    }
    start_ = absl::Now();
    uv_timer_init(loop, &call_timer_);
    call_timer_.data = this;
    uv_timer_start(
        &call_timer_,
        [](uv_timer_t* t) { static_cast<ChaosSoak*>(t->data)->IssueCalls(); },
        2, 2);
    uv_timer_init(loop, &zombie_timer_);
    zombie_timer_.data = this;
    uv_timer_start(
        &zombie_timer_,
        [](uv_timer_t* t) { static_cast<ChaosSoak*>(t->data)->CheckZombies(); },
        1000, 1000);
    ScheduleChaos();
    Timer::After(loop, chaos_ / 2, [this] { KillZygote(); });
    Timer::After(loop, chaos_, [this] {
      if (strike_during_shutdown_) {
        BeginShutdown();
        return;
      }
      chaos_over_ = true;
      settle_deadline_ = absl::Now() + absl::Seconds(20);
      Settle();
    });
    host.Run();
    uv_close(reinterpret_cast<uv_handle_t*>(&call_timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&zombie_timer_), nullptr);
    uv_run(loop, UV_RUN_NOWAIT);  // Their close callbacks: they are ours.
  }

  // After Run: the checks that need the host still alive.
  void CheckAfterShutdown() {
    EXPECT_TRUE(shutdown_done_) << "Shutdown never finished";
    EXPECT_TRUE(host_->helpers().empty());
    restarts_ = host_->restarts("renderer") + host_->restarts("forker");
    EXPECT_EQ(completed_, issued_) << "calls without a callback";
    EXPECT_EQ(duplicates_, 0u) << "calls with more than one callback";
    EXPECT_EQ(exit_handler_calls_, exited_);
    for (const auto& [id, record] : records_) {
      EXPECT_TRUE(record.exited) << record.role << "-" << id << " pid "
                                 << record.pid << " never reported its end";
    }
  }

  void Print(const Usage& baseline, const Usage& final_usage) const {
    std::map<std::string, int> by_signal;
    for (const auto& [signal, count] : kills_) {
      by_signal[absl::StrCat(sigabbrev_np(signal))] = count;
    }
    auto join = [](const auto& map) {
      return absl::StrJoin(map, ", ", absl::PairFormatter("="));
    };
    std::printf(
        "chaos soak figures\n"
        "  chaos: %s, then shutdown\n"
        "  helpers launched: %zu, ready %d (sandboxed %d, unsandboxed "
        "zygote-forked %d, unsandboxed exec'd %d), restarts %d\n"
        "  calls issued %llu, completed %llu, duplicates %llu; by status: "
        "%s\n"
        "  signals sent: %s; stops %d (long %d), continues %d; zygote kills "
        "%d\n"
        "  ends by kind: %s\n"
        "  zombies seen (transient) %d, lingering %d\n"
        "  host fds %zu -> %zu (peak %zu), threads %zu -> %zu (peak %zu), "
        "RSS %.1f MiB -> %.1f MiB (peak %.1f MiB)\n",
        absl::FormatDuration(chaos_).c_str(), records_.size(), ready_,
        sandboxed_, forked_, exec_unsandboxed_, restarts_,
        static_cast<unsigned long long>(issued_),
        static_cast<unsigned long long>(completed_),
        static_cast<unsigned long long>(duplicates_), join(by_status_).c_str(),
        join(by_signal).c_str(), stops_, long_stops_, continues_, zygote_kills_,
        join(by_kind_).c_str(), transient_zombies_, lingering_zombies_,
        baseline.fds, final_usage.fds, peak_.fds, baseline.threads,
        final_usage.threads, peak_.threads, baseline.rss / 1048576.0,
        final_usage.rss / 1048576.0, peak_.rss / 1048576.0);
    std::fflush(stdout);
  }

  const std::vector<std::string>& failures() const { return failures_; }
  // Pids of every helper and of what the forkers forked.
  const std::set<int64_t>& pids() const { return pids_; }
  uint64_t issued() const { return issued_; }

 private:
  void OnLifecycle(const LifecycleEvent& event) {
    switch (event.stage) {
      case LifecycleStage::kLaunching:
        if (records_.count(event.helper_id) != 0) {
          failures_.push_back(
              absl::StrCat("helper ", event.helper_id, " launched twice"));
        }
        records_[event.helper_id].role = event.role;
        break;
      case LifecycleStage::kStarted: {
        Record& record = records_[event.helper_id];
        record.pid = event.pid;
        pids_.insert(event.pid);
        break;
      }
      case LifecycleStage::kExited:
        OnExit(event.helper_id, *event.exit);
        break;
      default:
        break;
    }
  }

  void OnExit(uint64_t id, const ExitInfo& exit) {
    ++exited_;
    ++by_kind_[ExitKindName(exit.kind)];
    auto found = records_.find(id);
    if (found == records_.end()) {
      failures_.push_back(absl::StrCat("an end for unknown helper ", id));
      return;
    }
    Record& record = found->second;
    if (record.exited) {
      failures_.push_back(absl::StrCat("helper ", id, " ended twice"));
    }
    record.exited = true;
    const std::string name = absl::StrCat(record.role, "-", id, " pid ",
                                          exit.pid, ": ", exit.Describe());
    if (std::string(ExitKindName(exit.kind)) == "unknown") {
      failures_.push_back(absl::StrCat("unclassified end of ", name));
      return;
    }
    bool expected = false;
    switch (exit.kind) {
      case ExitKind::kCrashed:
        // Ours: the signal was sent by the soak, and only by it.
        expected = record.lethal_sent.count(exit.signal) != 0;
        break;
      case ExitKind::kSandboxViolation:
        // A filter the host installed, and a SIGSYS the soak sent.
        expected = record.sandboxed && record.lethal_sent.count(SIGSYS) != 0;
        break;
      case ExitKind::kHung:
        expected = record.stopped;
        break;
      case ExitKind::kHostShutdown:
        // Ended by what a shutdown does (the Shutdown message, SIGTERM,
        // SIGKILL), not by some other signal that reached it first.
        expected =
            shutting_down_ && (exit.signal == 0 || exit.signal == SIGTERM ||
                               exit.signal == SIGKILL);
        break;
      default:
        break;
    }
    if (!expected) {
      failures_.push_back(absl::StrCat(
          "misclassified end of ", name,
          " (signals sent: ", absl::StrJoin(record.lethal_sent, ","),
          record.stopped ? "; stopped" : "",
          shutting_down_ ? "; during shutdown" : "", ")"));
    }
  }

  std::vector<HelperProcess*> Ready(absl::string_view role) const {
    std::vector<HelperProcess*> ready;
    for (HelperProcess* helper : host_->helpers()) {
      if (helper->role() == role &&
          helper->state() == HelperProcess::State::kReady) {
        ready.push_back(helper);
      }
    }
    return ready;
  }

  // One counted call: `done` must run exactly once.
  template <typename Req, typename Resp>
  void CountedCall(HelperProcess& helper, const Req& request,
                   absl::AnyInvocable<void(const absl::StatusOr<Resp>&)> then) {
    const uint64_t call = issued_++;
    callbacks_.push_back(0);
    helper.Call<Req, Resp>(
        request, absl::Now() + absl::Seconds(4),
        [this, call,
         then = std::move(then)](absl::StatusOr<Resp> response) mutable {
          if (callbacks_[call]++ != 0) {
            ++duplicates_;
            return;
          }
          ++completed_;
          ++by_status_[absl::StatusCodeToString(response.status().code())];
          if (then) then(response);
        });
  }

  // A few calls every tick, to random ready renderers.
  void IssueCalls() {
    std::vector<HelperProcess*> ready = Ready("renderer");
    if (ready.empty()) return;
    for (int i = 0; i < 4; ++i) {
      HelperProcess* helper = ready[Uniform(ready.size())];
      roles::LayoutTextRequest request;
      request.set_text(
          absl::StrCat("chaos call ", issued_, " lorem ipsum dolor"));
      request.set_width(8);
      CountedCall<roles::LayoutTextRequest, roles::LayoutTextResponse>(
          *helper, request, nullptr);
    }
  }

  // A forker's call leaves a child waiting in the forker's process group.
  void Fork(HelperProcess& helper) {
    CountedCall<roles::LayoutTextRequest, roles::LayoutTextResponse>(
        helper, roles::LayoutTextRequest(),
        [this](const absl::StatusOr<roles::LayoutTextResponse>& response) {
          int64_t child = 0;
          if (response.ok() && response->lines_size() == 1 &&
              absl::SimpleAtoi(response->lines(0), &child)) {
            pids_.insert(child);
          }
        });
  }

  size_t Uniform(size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(random_);
  }

  void ScheduleChaos() {
    const auto delay = absl::Milliseconds(
        std::uniform_int_distribution<int>(40, 200)(random_));
    Timer::After(host_->loop(), delay, [this] {
      if (chaos_over_) return;
      Strike();
      ScheduleChaos();
    });
  }

  // One random act against one random helper.
  void Strike() {
    std::vector<HelperProcess*> helpers;
    for (HelperProcess* helper : host_->helpers()) {
      if (helper->pid() > 0) helpers.push_back(helper);
    }
    if (helpers.empty()) return;
    HelperProcess* helper = helpers[Uniform(helpers.size())];
    Record& record = records_[helper->id()];
    record.sandboxed = helper->sandboxed();
    const int64_t pid = helper->pid();
    if (Uniform(10) < 7) {
      const int signal = lethal_signals_[Uniform(lethal_signals_.size())];
      if (SignalOwnHelper(pid, signal)) {
        record.lethal_sent.insert(signal);
        ++kills_[signal];
      }
      return;
    }
    const bool long_stop = Uniform(6) == 0;
    const absl::Duration stop =
        long_stop ? kLongStop
                  : absl::Milliseconds(
                        std::uniform_int_distribution<int>(20, 1000)(random_));
    if (!SignalOwnHelper(pid, SIGSTOP)) return;
    record.stopped = true;
    ++stops_;
    if (long_stop) ++long_stops_;
    ++pending_continues_;
    Timer::After(host_->loop(), stop, [this, pid] {
      // The helper may have been killed and reaped meanwhile: then nothing.
      if (SignalOwnHelper(pid, SIGCONT)) ++continues_;
      --pending_continues_;
    });
  }

  // Half-way: the zygote dies too. Unsandboxed helpers (and restarts) are
  // exec'd from then on.
  void KillZygote() {
    for (const ProcEntry& process : AllProcesses()) {
      if (process.ppid != ::getpid()) continue;
      const std::string cmdline =
          ReadFileBytes(absl::StrCat("/proc/", process.pid, "/cmdline"));
      if (cmdline.find(std::string("--type=zygote\0", 14)) !=
              std::string::npos &&
          ::kill(static_cast<pid_t>(process.pid), SIGKILL) == 0) {
        ++zygote_kills_;
      }
    }
  }

  // Children of this process that are zombies now; a zombie seen on two
  // checks a second apart is one the host failed to reap.
  void CheckZombies() {
    std::set<int64_t> zombies;
    for (const ProcEntry& process : AllProcesses()) {
      if (process.ppid == ::getpid() && process.state == 'Z') {
        zombies.insert(process.pid);
      }
    }
    for (int64_t zombie : zombies) {
      if (last_zombies_.count(zombie) != 0) {
        ++lingering_zombies_;
        failures_.push_back(
            absl::StrCat("zombie ", Describe(zombie), " left unreaped"));
      } else {
        ++transient_zombies_;
      }
    }
    last_zombies_ = std::move(zombies);
    peak_.fds = std::max(peak_.fds, CountEntries("/proc/self/fd"));
    peak_.threads = std::max(peak_.threads, CountEntries("/proc/self/task"));
    peak_.rss = std::max(peak_.rss, CurrentRssBytes());
  }

  // The chaos is over: every stop continued and every helper that was sent a
  // lethal signal reported its end (so that Shutdown is not what ends it),
  // then Shutdown with calls still coming.
  void Settle() {
    bool settled = pending_continues_ == 0;
    std::vector<std::string> alive;  // Killed, and not ended.
    for (HelperProcess* helper : host_->helpers()) {
      auto found = records_.find(helper->id());
      if (found != records_.end() && !found->second.lethal_sent.empty()) {
        settled = false;
        const Record& record = found->second;
        // Its /proc stat shows its state and which signals it ignores.
        alive.push_back(absl::StrCat(
            helper->name(),
            " (signals sent: ", absl::StrJoin(record.lethal_sent, ","),
            record.stopped ? "; stopped" : "", "): ",
            ReadFileBytes(absl::StrCat("/proc/", helper->pid(), "/stat"))));
      }
    }
    if (!settled && absl::Now() < settle_deadline_) {
      Timer::After(host_->loop(), absl::Milliseconds(20), [this] { Settle(); });
      return;
    }
    if (!settled) {
      failures_.push_back(absl::StrCat(
          "killed helpers never ended (continues pending: ", pending_continues_,
          "): ", absl::StrJoin(alive, "; ")));
    }
    BeginShutdown();
  }

  // Shutdown, with calls still coming (and, with BULKHEAD_CHAOS_STRIKE_DURING
  // _SHUTDOWN=1, the chaos going on until it is done); the loop ends once the
  // soak's own timers are gone.
  void BeginShutdown() {
    shutting_down_ = true;
    host_->Shutdown(absl::Seconds(2), [this] {
      shutdown_done_ = true;
      chaos_over_ = true;
      uv_timer_stop(&call_timer_);
      uv_timer_stop(&zombie_timer_);
      QuitWhenTimersAreGone(/*own=*/0);
    });
  }

  // `own`: 1 when called from a Timer, which is live until it returns.
  void QuitWhenTimersAreGone(int own) {
    if (Timer::live() > own) {
      Timer::After(host_->loop(), absl::Milliseconds(20),
                   [this] { QuitWhenTimersAreGone(/*own=*/1); });
      return;
    }
    host_->Quit();
  }

  std::mt19937_64 random_;
  const absl::Duration chaos_;
  const bool strike_during_shutdown_ =
      EnvInt("BULKHEAD_CHAOS_STRIKE_DURING_SHUTDOWN", 0) == 1;
  const std::vector<int> lethal_signals_ = LethalSignals();
  Host* host_ = nullptr;
  absl::Time start_;
  uv_timer_t call_timer_;
  uv_timer_t zombie_timer_;
  bool chaos_over_ = false;
  bool shutting_down_ = false;
  bool shutdown_done_ = false;
  absl::Time settle_deadline_;
  int pending_continues_ = 0;

  std::map<uint64_t, Record> records_;
  std::set<int64_t> pids_;
  std::vector<std::string> failures_;

  uint64_t issued_ = 0;
  uint64_t completed_ = 0;
  uint64_t duplicates_ = 0;
  std::vector<uint8_t> callbacks_;  // Callbacks so far, per call.
  std::map<std::string, int> by_status_;

  std::map<int, int> kills_;
  int stops_ = 0;
  int long_stops_ = 0;
  int continues_ = 0;
  int zygote_kills_ = 0;

  int sandboxed_ = 0;
  int forked_ = 0;
  int exec_unsandboxed_ = 0;
  int ready_ = 0;
  int restarts_ = 0;
  uint64_t exited_ = 0;
  uint64_t exit_handler_calls_ = 0;
  std::map<std::string, int> by_kind_;

  std::set<int64_t> last_zombies_;
  int transient_zombies_ = 0;
  int lingering_zombies_ = 0;
  Usage peak_;
};

// A short run of every kind of helper the soak uses, so that what a process
// sets up once (libuv's thread pool, the symbolizer, protobuf's descriptors,
// malloc's arenas) is in the baseline rather than counted as growth.
void WarmUp() {
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Create(ChaosSoak::HostOptions());
  ASSERT_TRUE(host.ok()) << host.status();
  int pending = 0;
  const bool can_sandbox = SandboxedLaunchAvailable();
  for (const auto& [role, sandboxed] : ChaosSoak::Fleet(can_sandbox)) {
    Host::LaunchOverrides overrides;
    overrides.sandboxed = sandboxed;
    overrides.restart = false;
    ++pending;
    ASSERT_TRUE((*host)
                    ->Launch(role, overrides,
                             [&](absl::StatusOr<HelperProcess*> helper) {
                               if (!helper.ok()) {
                                 --pending;
                                 return;
                               }
                               roles::LayoutTextRequest request;
                               request.set_text("warm up");
                               (*helper)
                                   ->Call<roles::LayoutTextRequest,
                                          roles::LayoutTextResponse>(
                                       request, absl::Now() + absl::Seconds(10),
                                       [&, pid = (*helper)->pid()](auto) {
                                         // One crash, for the crash path.
                                         ::kill(static_cast<pid_t>(pid),
                                                SIGSEGV);
                                         --pending;
                                       });
                             })
                    .ok());
  }
  Host& h = **host;
  std::function<void()> wait = [&] {
    if (pending > 0) {
      Timer::After(h.loop(), absl::Milliseconds(10), wait);
      return;
    }
    h.Shutdown(absl::Seconds(2), [&] { h.Quit(); });
  };
  wait();
  h.Run();
  host->reset();
}

TEST(ChaosSoakTest, EveryPromiseHoldsUnderRandomSignals) {
  const uint64_t seed = static_cast<uint64_t>(EnvInt(
      "BULKHEAD_CHAOS_SEED", absl::ToUnixNanos(absl::Now()) & 0x7fffffff));
  const absl::Duration chaos =
      absl::Seconds(EnvInt("BULKHEAD_CHAOS_SECONDS", BULKHEAD_CHAOS_SECONDS));
  std::printf("chaos soak: seed %llu (BULKHEAD_CHAOS_SEED=%llu replays it)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);

  WarmUp();
  if (HasFatalFailure()) return;
  const Usage baseline = MeasureUsage();

  ChaosSoak soak(seed, chaos);
  {
    absl::StatusOr<std::unique_ptr<Host>> host =
        Host::Create(ChaosSoak::HostOptions());
    ASSERT_TRUE(host.ok()) << host.status();
    soak.Run(**host);
    soak.CheckAfterShutdown();
    const uint64_t issued = soak.issued();
    host->reset();
    EXPECT_EQ(soak.issued(), issued);
  }

  // Nothing left: no child of this process (zombie or not), nothing in a
  // helper's process group or session, nothing a forker forked, nothing
  // running this executable.
  int dead_orphans = 0;
  const std::vector<std::string> left = LeftBehind(soak.pids(), dead_orphans);
  EXPECT_TRUE(left.empty()) << "left behind: " << absl::StrJoin(left, "; ");

  const Usage final_usage = MeasureUsage();
  soak.Print(baseline, final_usage);
  std::printf(
      "  after shutdown: %zu processes left, %d ended ones not yet "
      "collected by the system's init\n",
      left.size(), dead_orphans);
  std::fflush(stdout);
  for (const std::string& failure : soak.failures()) ADD_FAILURE() << failure;

  EXPECT_EQ(final_usage.fds, baseline.fds)
      << "fds leaked; new since the start: "
      << NewDescriptors(baseline, final_usage);
  EXPECT_EQ(final_usage.threads, baseline.threads) << "threads leaked";
  // Freed memory stays in malloc's arenas in pieces malloc_trim cannot give
  // back, and the sanitizers keep freed blocks in quarantine on purpose
  // (ASan's is up to 256 MiB). What this bound catches is growth per call or
  // per helper: 10 KiB leaked per call, or one 64 KiB buffer per helper, is
  // beyond it after a minute of chaos. Smaller leaks are LeakSanitizer's (the
  // asan preset runs this soak too).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr uint64_t kRssTolerance = 320ull << 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  constexpr uint64_t kRssTolerance = 320ull << 20;
#else
  constexpr uint64_t kRssTolerance = 16ull << 20;
#endif
#else
  constexpr uint64_t kRssTolerance = 16ull << 20;
#endif
  EXPECT_LE(final_usage.rss, baseline.rss + kRssTolerance)
      << "resident memory grew by "
      << (final_usage.rss - baseline.rss) / 1048576.0 << " MiB";
}

}  // namespace
}  // namespace bulkhead::testing
