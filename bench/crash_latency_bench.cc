// How fast the host learns that a helper died, and how fast a replacement is
// ready, each beside its floor on this machine, in one run:
//   for unsandboxed helpers forked by the zygote, the same exec'd, and
//   sandboxed helpers:
//   crash -> ExitInfo:   a helper segfaults (Fault{segv}) until the host's
//                        exit handler has the classified ExitInfo.
//   floor:               a bare forked child segfaults on a byte from its
//                        parent, which notices it with waitpid (measured
//                        again just before each setup).
//   also shown:          the same bare child noticed the way the host does
//                        (its pidfd in epoll, then waitid), and a fresh exec
//                        of this binary (the helpers' executable, without
//                        their crash handler) crashing the same way, whose
//                        teardown (its mapped libraries) is the kernel's
//                        share of the helpers' figure.
//   crash -> new Ready:  the same crash until the Supervisor's replacement
//                        (no backoff) reports Ready.
//   floor:               a fresh Launch until Ready.
// Prints medians and 99th percentiles in microseconds and the ratios.
//
//   bench/crash_latency_bench [--iterations=N]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "common/platform.h"
#if defined(BULKHEAD_OS_LINUX)
#include <sys/epoll.h>
#include <sys/syscall.h>
#endif

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/helper_main.h"
#include "host/host.h"
#include "host/supervisor.h"
#include "sample_roles/builtin_roles.h"

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

// A child that crashes (SIGSEGV) once a byte arrives on `go`, or exits if
// the pipe closes first.
pid_t ForkCrashOnRequest(int go) {
  const pid_t child = ::fork();
  if (child == 0) {
    char byte;
    if (::read(go, &byte, 1) == 1) {
      volatile int* null = nullptr;
      *null = 1;
    }
    ::_exit(0);
  }
  return child;
}

// The floor: fork, then crash on request and be reaped.
std::vector<absl::Duration> BareChildCrash(int iterations) {
  std::vector<absl::Duration> samples;
  for (int i = 0; i < iterations; ++i) {
    int go[2];
    if (::pipe(go) != 0) break;
    const pid_t child = ForkCrashOnRequest(go[0]);
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

#if defined(BULKHEAD_OS_LINUX)
// The floor noticed as the host notices its helpers: the child's pidfd in
// an epoll set, then waitid.
std::vector<absl::Duration> BareChildCrashPidfd(int iterations) {
  std::vector<absl::Duration> samples;
  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) return samples;
  for (int i = 0; i < iterations; ++i) {
    int go[2];
    if (::pipe(go) != 0) break;
    const pid_t child = ForkCrashOnRequest(go[0]);
    ::close(go[0]);
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    epoll_event event = {};
    event.events = EPOLLIN;
    if (pidfd < 0 || ::epoll_ctl(epoll, EPOLL_CTL_ADD, pidfd, &event) != 0) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
      break;
    }
    const absl::Time start = absl::Now();
    if (::write(go[1], "x", 1) != 1) break;
    while (::epoll_wait(epoll, &event, 1, -1) != 1) {
    }
    siginfo_t info = {};
    ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED);
    samples.push_back(absl::Now() - start);
    ::close(pidfd);
    ::close(go[1]);
  }
  ::close(epoll);
  return samples;
}
#endif

// With this switch the binary only waits for a byte on stdin and then
// segfaults, with no crash handler: the helpers' executable, freshly exec'd.
constexpr char kCrashOnInput[] = "--crash-on-input";

// A fresh exec of this binary crashes on a byte from its parent, once it is
// up (it says so on its stdout); the parent notices it with waitpid.
std::vector<absl::Duration> ExecChildCrash(int iterations) {
  std::vector<absl::Duration> samples;
  std::string self(4096, '\0');
  size_t size = self.size();
  if (uv_exepath(self.data(), &size) != 0) return samples;
  self.resize(size);
  for (int i = 0; i < iterations; ++i) {
    int go[2], up[2];
    if (::pipe(go) != 0) break;
    if (::pipe(up) != 0) break;
    const pid_t child = ::fork();
    if (child == 0) {
      ::dup2(go[0], 0);
      ::dup2(up[1], 1);
      char* argv[] = {self.data(), const_cast<char*>(kCrashOnInput), nullptr};
      ::execv(self.c_str(), argv);
      ::_exit(127);
    }
    ::close(go[0]);
    ::close(up[1]);
    char byte;
    const bool started = ::read(up[0], &byte, 1) == 1;
    ::close(up[0]);
    const absl::Time start = absl::Now();
    if (!started || ::write(go[1], "x", 1) != 1) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
      break;
    }
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

void PrintStats(const char* what, const Stats& stats) {
  std::printf("%-22s median %8.1f us  p99 %8.1f us\n", what, stats.median_us,
              stats.p99_us);
}

void PrintRatio(const char* what, const Stats& ours, const Stats& floor) {
  std::printf("%-22s median %8.2fx     p99 %8.2fx\n", what,
              ours.median_us / floor.median_us, ours.p99_us / floor.p99_us);
}

// `also`, when set, is a second floor whose ratio is shown too.
void Report(const char* what, const Stats& ours, const char* floor_name,
            const Stats& floor, const Stats* also = nullptr,
            const char* also_ratio = nullptr) {
  PrintStats(what, ours);
  PrintStats(floor_name, floor);
  PrintRatio("ratio", ours, floor);
  if (also != nullptr) PrintRatio(also_ratio, ours, *also);
  std::printf("\n");
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
  std::printf("== crash -> parent notified, without a host\n");
  PrintStats("bare child + waitpid", floor_crash);
  const Stats* floor_pidfd_or_null = nullptr;
#if defined(BULKHEAD_OS_LINUX)
  const Stats floor_pidfd = Summarize(BareChildCrashPidfd(n));
  PrintStats("bare child + pidfd", floor_pidfd);
  floor_pidfd_or_null = &floor_pidfd;
#endif
  PrintStats("exec'd helper binary", Summarize(ExecChildCrash(n)));
  std::printf("\n");
  // Unsandboxed helpers forked by the zygote (the default where there is
  // one), the same exec'd, then (where the platform has one) sandboxed: on
  // Linux the sandboxed helper's end travels through its namespace's init.
  struct Setup {
    const char* name;
    bool sandboxed;
    bool zygote;
  };
  for (const Setup& setup :
       {Setup{"unsandboxed, forked by the zygote", false, true},
        Setup{"unsandboxed, exec'd", false, false},
        Setup{"sandboxed", true, false}}) {
    if (setup.sandboxed && !SandboxedLaunchAvailable()) continue;
    if (setup.zygote && !ZygoteAvailable()) continue;
    // The floor again, just before: this shared machine drifts between
    // setups by more than the differences measured here.
    const Stats floor_now = Summarize(BareChildCrash(n));
    Host::Options options;
    options.roles = &roles;
    options.forward_helper_output = false;
    options.sandbox_helpers = setup.sandboxed;
    options.fork_helpers_from_zygote = setup.zygote;
    absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
    if (!host.ok()) return 1;
    std::printf("== %s helpers\n", setup.name);
    const Stats crash = Summarize(HelperCrashToExitInfo(**host, n));
    Report("crash -> ExitInfo", crash, "bare child + waitpid", floor_now,
           floor_pidfd_or_null, "ratio to first pidfd floor");
    const Stats launch = Summarize(LaunchToReady(**host, n));
    const Stats restart = Summarize(CrashToReplacementReady(**host, n));
    Report("crash -> new Ready", restart, "fresh launch -> Ready", launch);
  }
  return 0;
}

}  // namespace
}  // namespace bulkhead

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == bulkhead::kCrashOnInput) {
    char byte;
    if (::write(1, "u", 1) != 1 || ::read(0, &byte, 1) != 1) return 1;
    volatile int* null = nullptr;
    *null = 1;
    return 0;
  }
  bulkhead::RoleRegistry roles;
  if (!bulkhead::RegisterBuiltinRoles(roles).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;
  return bulkhead::Main(argc, argv);
}
