// How fast the host learns that a helper died, and how fast a replacement is
// ready, each beside its floor on this machine, in one run:
//   crash -> ExitInfo:   a helper segfaults (Fault{segv}) until the host's
//                        exit handler has the classified ExitInfo.
//   floor:               a bare forked child segfaults on a byte from its
//                        parent, which notices it with waitpid.
//   crash -> new Ready:  the same crash until the Supervisor's replacement
//                        (no backoff) reports Ready.
//   floor:               a fresh Launch until Ready.
// Prints medians and 99th percentiles in microseconds and the ratios.
//
//   bench/crash_latency_bench [--iterations=N]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "browser_host/host.h"
#include "browser_host/supervisor.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/helper_main.h"
#include "helper/roles/builtin_roles.h"

namespace bulkhead {
namespace {

struct Stats {
  double median_us = 0;
  double p99_us = 0;
};

Stats Summarize(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  Stats stats;
  if (samples.empty()) return stats;
  stats.median_us = absl::ToDoubleMicroseconds(samples[samples.size() / 2]);
  stats.p99_us = absl::ToDoubleMicroseconds(
      samples[std::min(samples.size() - 1, samples.size() * 99 / 100)]);
  return stats;
}

// The floor: fork, then crash on request and be reaped.
std::vector<absl::Duration> BareChildCrash(int iterations) {
  std::vector<absl::Duration> samples;
  for (int i = 0; i < iterations; ++i) {
    int go[2];
    if (::pipe(go) != 0) break;
    const pid_t child = ::fork();
    if (child == 0) {
      char byte;
      if (::read(go[0], &byte, 1) == 1) {
        volatile int* null = nullptr;
        *null = 1;
      }
      ::_exit(0);
    }
    ::close(go[0]);
    const absl::Time start = absl::Now();
    if (::write(go[1], "x", 1) != 1) break;
    int status = 0;
    ::waitpid(child, &status, 0);
    samples.push_back(absl::Now() - start);
    ::close(go[1]);
  }
  return samples;
}

// Runs `host`'s loop until `done` (bounded by the helpers' own deadlines).
void RunUntil(Host& host, const bool& done) {
  while (!done) uv_run(host.loop(), UV_RUN_ONCE);
}

// Launches a utility helper and waits for Ready; nullptr if it never was.
HelperProcess* LaunchAndWait(Host& host) {
  bool ready = false;
  HelperProcess* helper = nullptr;
  if (!host.Launch("utility",
                   [&](absl::StatusOr<HelperProcess*> h) {
                     ready = true;
                     if (h.ok()) helper = *h;
                   })
           .ok()) {
    return nullptr;
  }
  RunUntil(host, ready);
  return helper;
}

std::vector<absl::Duration> HelperCrashToExitInfo(Host& host, int iterations) {
  std::vector<absl::Duration> samples;
  for (int i = 0; i < iterations; ++i) {
    HelperProcess* helper = LaunchAndWait(host);
    if (helper == nullptr) break;
    bool exited = false;
    absl::Time exit_seen;
    host.SetExitHandler([&](const ExitInfo& exit) {
      exited = true;
      exit_seen = absl::Now();
      if (exit.kind != ExitKind::kCrashed) {
        std::fprintf(stderr, "unexpected exit: %s\n", exit.Describe().c_str());
      }
    });
    const absl::Time start = absl::Now();
    helper->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
    RunUntil(host, exited);
    samples.push_back(exit_seen - start);
  }
  host.SetExitHandler(nullptr);
  return samples;
}

std::vector<absl::Duration> LaunchToReady(Host& host, int iterations) {
  std::vector<absl::Duration> samples;
  for (int i = 0; i < iterations; ++i) {
    const absl::Time start = absl::Now();
    HelperProcess* helper = LaunchAndWait(host);
    if (helper == nullptr) break;
    samples.push_back(absl::Now() - start);
    bool exited = false;
    host.SetExitHandler([&](const ExitInfo&) { exited = true; });
    helper->Kill(HostAction::kKillRequested, "bench");
    RunUntil(host, exited);
    host.SetExitHandler(nullptr);
  }
  return samples;
}

std::vector<absl::Duration> CrashToReplacementReady(Host& host,
                                                    int iterations) {
  std::vector<absl::Duration> samples;
  HelperProcess* current = nullptr;
  absl::Time crashed_at;
  bool started = false;
  Supervisor::Events events;
  events.on_started = [&](HelperProcess& helper) {
    current = &helper;
    started = true;
  };
  Supervisor supervisor(host, std::move(events));
  RestartPolicy policy;
  policy.initial_backoff = absl::ZeroDuration();
  policy.jitter = 0;
  policy.max_restarts = iterations + 1;
  if (!supervisor.Supervise("utility", 1, policy).ok()) return samples;
  RunUntil(host, started);
  for (int i = 0; i < iterations && current != nullptr; ++i) {
    started = false;
    crashed_at = absl::Now();
    current->InjectFault(ipc::FAULT_KIND_SEGV, 0, [](absl::Status) {});
    current = nullptr;
    RunUntil(host, started);
    samples.push_back(absl::Now() - crashed_at);
  }
  supervisor.StopRestarting();
  bool stopped = false;
  host.Shutdown(absl::Seconds(1), [&] { stopped = true; });
  RunUntil(host, stopped);
  return samples;
}

void Report(const char* what, const Stats& ours, const char* floor_name,
            const Stats& floor) {
  std::printf("%-22s median %8.1f us  p99 %8.1f us\n", what, ours.median_us,
              ours.p99_us);
  std::printf("%-22s median %8.1f us  p99 %8.1f us\n", floor_name,
              floor.median_us, floor.p99_us);
  std::printf("%-22s median %8.2fx     p99 %8.2fx\n\n", "ratio",
              ours.median_us / floor.median_us, ours.p99_us / floor.p99_us);
}

int Main(int argc, char** argv) {
  const CommandLine line = CommandLine::Parse(argc, argv);
  absl::StatusOr<int64_t> iterations =
      line.Has("iterations") ? line.GetInt("iterations", 1, 100000) : 100;
  if (!iterations.ok()) {
    std::fprintf(stderr, "%s\n", iterations.status().ToString().c_str());
    return 2;
  }
  SetLogLevel(LogLevel::kError);  // Kills are the point here, not news.
  RoleRegistry roles;
  if (!RegisterBuiltinRoles(roles).ok()) return 1;
  const int n = static_cast<int>(*iterations);
  const Stats floor_crash = Summarize(BareChildCrash(n));
  // Unsandboxed, then (where the platform has one) sandboxed: on Linux the
  // sandboxed helper's end travels through its namespace's init.
  for (const bool sandboxed : {false, true}) {
    if (sandboxed && !SandboxedLaunchAvailable()) continue;
    Host::Options options;
    options.roles = &roles;
    options.forward_helper_output = false;
    options.sandbox_helpers = sandboxed;
    absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
    if (!host.ok()) return 1;
    std::printf("== %s helpers\n", sandboxed ? "sandboxed" : "unsandboxed");
    const Stats crash = Summarize(HelperCrashToExitInfo(**host, n));
    Report("crash -> ExitInfo", crash, "bare child + waitpid", floor_crash);
    const Stats launch = Summarize(LaunchToReady(**host, n));
    const Stats restart = Summarize(CrashToReplacementReady(**host, n));
    Report("crash -> new Ready", restart, "fresh launch -> Ready", launch);
  }
  return 0;
}

}  // namespace
}  // namespace bulkhead

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!bulkhead::RegisterBuiltinRoles(roles).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;
  return bulkhead::Main(argc, argv);
}
