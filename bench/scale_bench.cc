// Many helpers at once, each figure beside its floor in the same run:
//   all Ready:  N helpers launched at once until every one reported Ready,
//               per launch mode, beside the floor: N bare forks of a warm,
//               small process (this one, forked at start), each child
//               writing one byte back at once (no exec),
//               until every byte arrived. Rounds alternate floor and modes;
//               median and p99 (the worst, with few rounds) of the rounds,
//               and the ratio of each mode's median to the floor's.
//   memory:     the total PSS (/proc/<pid>/smaps_rollup) of every process
//               descended from this one with `pss_helpers` idle helpers
//               running: the helpers, their descendant sweepers, and the
//               zygote and sandbox inits there are (a helper's teardown
//               keeper shares its memory: counted once). Per helper too.
//   idle CPU:   this process's CPU time (getrusage: every thread's user and
//               system time) over `idle_seconds` with `idle_helpers` idle
//               helpers at the default heartbeat (a Ping a second each), as
//               a share of one core.
// Targets (issue 17): all Ready <= 1.3x the floor with 1,000 helpers; idle
// helper PSS <= 1 MB; idle host CPU < 2% of one core with 1,000 helpers.
//
// Launch modes are Host::Options settings (kModes below): adding one (such
// as sandboxed helpers forked from a zygote) is one line.
//
//   bench/scale_bench [--counts=100,1000] [--rounds=R] [--pss_helpers=N]
//       [--idle_helpers=N] [--idle_seconds=S] [--modes=name,...]
#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/latency_stats.h"
#include "common/command_line.h"
#include "common/kernel_file_linux.h"
#include "common/logging.h"
#include "helper/helper_main.h"
#include "host/host.h"
#include "sample_roles/builtin_roles.h"

namespace bulkhead {
namespace {

struct LaunchMode {
  const char* name;
  // More helpers than this at once are not measured in this mode.
  int max_helpers;
  std::function<void(Host::Options&)> configure;
};

const LaunchMode kModes[] = {
    {"forked", 10000, [](Host::Options& o) { o.sandbox_helpers = false; }},
    {"execd", 10000,
     [](Host::Options& o) {
       o.sandbox_helpers = false;
       o.fork_helpers_from_zygote = false;
     }},
    // Forked by the zygote of their sandbox shape (the default).
    {"sandboxed_forked", 10000,
     [](Host::Options& o) {
       o.sandbox_helpers = true;
       o.fork_sandboxed_helpers = true;
     }},
    // Exec'd into fresh namespaces: 500 at once took 42 s in a debug build
    // (100: 1.5 s), so not past 100 here.
    {"sandboxed_execd", 100,
     [](Host::Options& o) {
       o.sandbox_helpers = true;
       o.fork_sandboxed_helpers = false;
     }},
};

using bench::Stats;
using bench::Summarize;

// Runs the loop until `done()`; false when `timeout` passed first.
bool RunUntil(Host& host, const std::function<bool()>& done,
              absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  uv_timer_t timer;
  uv_timer_init(host.loop(), &timer);
  // Wakes the loop at the deadline when nothing else does.
  uv_timer_start(
      &timer, [](uv_timer_t*) {},
      static_cast<uint64_t>(absl::ToInt64Milliseconds(timeout)), 0);
  while (!done() && absl::Now() <= give_up) uv_run(host.loop(), UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  uv_run(host.loop(), UV_RUN_NOWAIT);
  return done();
}

// N children forked at once from this process, each writing a byte on one
// shared socket (so that each inherits a few descriptors, as a zygote's
// child does, not the N of its siblings) and exiting; until every byte
// arrived. Reaped after.
std::optional<absl::Duration> ForkFloor(int n) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::nullopt;
  }
  std::vector<pid_t> children;
  children.reserve(n);
  const absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(::write(pair[1], "R", 1) == 1 ? 0 : 1);
    if (child < 0) break;
    children.push_back(child);
  }
  ::close(pair[1]);
  int arrived = 0;
  char bytes[256];
  while (arrived < n) {
    const ssize_t got = ::read(pair[0], bytes, sizeof(bytes));
    if (got <= 0) break;
    arrived += static_cast<int>(got);
  }
  const absl::Time end = absl::Now();
  ::close(pair[0]);
  for (pid_t child : children) {
    int status = 0;
    ::waitpid(child, &status, 0);
  }
  if (arrived != n) return std::nullopt;
  return end - start;
}

// Runs ForkFloor in a small process forked before this one grew (hosts of a
// thousand helpers leave a larger heap behind, and a fork's cost grows with
// the parent's memory): the warm, small process a zygote is. It takes a
// count on one pipe and answers the duration in nanoseconds (-1: failed).
class FloorProcess {
 public:
  FloorProcess() {
    int request[2], reply[2];
    if (::pipe2(request, O_CLOEXEC) != 0 || ::pipe2(reply, O_CLOEXEC) != 0) {
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(request[1]);
      ::close(reply[0]);
      int n = 0;
      while (::read(request[0], &n, sizeof(n)) == sizeof(n)) {
        const std::optional<absl::Duration> d = ForkFloor(n);
        const int64_t ns = d.has_value() ? absl::ToInt64Nanoseconds(*d) : -1;
        if (::write(reply[1], &ns, sizeof(ns)) != sizeof(ns)) break;
      }
      ::_exit(0);
    }
    ::close(request[0]);
    ::close(reply[1]);
    request_ = request[1];
    reply_ = reply[0];
  }
  ~FloorProcess() {
    ::close(request_);
    ::close(reply_);
    int status = 0;
    if (pid_ > 0) ::waitpid(pid_, &status, 0);
  }

  std::optional<absl::Duration> Measure(int n) {
    int64_t ns = -1;
    if (::write(request_, &n, sizeof(n)) != sizeof(n) ||
        ::read(reply_, &ns, sizeof(ns)) != sizeof(ns) || ns < 0) {
      return std::nullopt;
    }
    return absl::Nanoseconds(ns);
  }

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int request_ = -1;
  int reply_ = -1;
};

absl::StatusOr<std::unique_ptr<Host>> MakeHost(const RoleRegistry& roles,
                                               const LaunchMode& mode) {
  Host::Options options;
  options.roles = &roles;
  options.forward_helper_output = false;
  // A thousand helpers launched at once start together on two cores: the
  // last may take longer than the default 10 s to say Hello. Measured here
  // is how long they take, not whether one is late.
  options.handshake_timeout = absl::Seconds(120);
  mode.configure(options);
  return Host::Create(std::move(options));
}

// Launches `n` renderers at once; true when all reported Ready in time.
bool LaunchAllReady(Host& host, int n) {
  int ready = 0;
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<HelperProcess*> launched =
        host.Launch("renderer", [&](absl::StatusOr<HelperProcess*> helper) {
          if (helper.ok()) {
            ++ready;
          } else if (failed++ == 0) {
            std::fprintf(stderr, "launch: %s\n",
                         helper.status().ToString().c_str());
          }
        });
    if (!launched.ok()) {
      std::fprintf(stderr, "launch %d: %s\n", i,
                   launched.status().ToString().c_str());
      return false;
    }
  }
  return RunUntil(
             host, [&] { return ready + failed == n; }, absl::Seconds(300)) &&
         failed == 0;
}

// One round of a mode: a fresh host, warmed by one helper (the zygote, when
// there is one, starts with it), then `n` more at once, timed until all are
// Ready. The host's destruction kills and reaps them.
std::optional<absl::Duration> ModeRound(const RoleRegistry& roles,
                                        const LaunchMode& mode, int n) {
  absl::StatusOr<std::unique_ptr<Host>> host = MakeHost(roles, mode);
  if (!host.ok() || !LaunchAllReady(**host, 1)) return std::nullopt;
  const absl::Time start = absl::Now();
  if (!LaunchAllReady(**host, n)) return std::nullopt;
  return absl::Now() - start;
}

// Every descendant of this process (by /proc/*/stat's parent field), with
// its parent.
std::vector<std::pair<int64_t, int64_t>> Descendants() {
  std::map<int64_t, std::vector<int64_t>> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return {};
  while (const dirent* entry = ::readdir(proc)) {
    int64_t pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    // Not an istreambuf_iterator: reading the stat of a process that has
    // just ended fails with ESRCH, and libstdc++ throws there.
    const std::string text =
        ReadKernelFile(absl::StrCat("/proc/", pid, "/stat"));
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    const std::vector<std::string> fields =
        absl::StrSplit(text.substr(close + 2), ' ');
    int64_t parent = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &parent)) {
      children[parent].push_back(pid);
    }
  }
  ::closedir(proc);
  std::vector<std::pair<int64_t, int64_t>> out;
  std::vector<int64_t> pending = {::getpid()};
  while (!pending.empty()) {
    const int64_t pid = pending.back();
    pending.pop_back();
    for (int64_t child : children[pid]) {
      out.emplace_back(child, pid);
      pending.push_back(child);
    }
  }
  return out;
}

// Pss of one process in kB (smaps_rollup), 0 when unreadable.
uint64_t PssKb(int64_t pid) {
  std::ifstream rollup(absl::StrCat("/proc/", pid, "/smaps_rollup"));
  std::string line;
  while (std::getline(rollup, line)) {
    if (line.rfind("Pss:", 0) != 0) continue;
    uint64_t kb = 0;
    const std::vector<std::string> parts =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb;
  }
  return 0;
}

double CpuSeconds() {
  rusage usage = {};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::vector<int> ParseCounts(const std::string& text) {
  std::vector<int> counts;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int count = 0;
    if (absl::SimpleAtoi(part, &count) && count > 0) counts.push_back(count);
  }
  return counts;
}

int Main(int argc, char** argv) {
  const CommandLine line = CommandLine::Parse(argc, argv);
  auto int_flag = [&line](const char* name, int64_t fallback, int64_t max) {
    absl::StatusOr<int64_t> value =
        line.Has(name) ? line.GetInt(name, 0, max) : fallback;
    if (!value.ok()) {
      std::fprintf(stderr, "%s\n", value.status().ToString().c_str());
      std::exit(2);
    }
    return static_cast<int>(*value);
  };
  const std::vector<int> counts =
      ParseCounts(line.Has("counts") ? *line.Get("counts") : "100,1000");
  const int rounds = int_flag("rounds", 5, 1000);
  const int pss_helpers = int_flag("pss_helpers", 100, 10000);
  const int idle_helpers = int_flag("idle_helpers", 1000, 10000);
  const int idle_seconds = int_flag("idle_seconds", 10, 3600);
  std::set<std::string> wanted;
  if (line.Has("modes")) {
    for (absl::string_view name : absl::StrSplit(*line.Get("modes"), ','))
      wanted.insert(std::string(name));
  }
  std::vector<const LaunchMode*> modes;
  for (const LaunchMode& mode : kModes) {
    if (wanted.empty() || wanted.contains(mode.name)) modes.push_back(&mode);
  }
  SetLogLevel(LogLevel::kError);
  RoleRegistry roles;
  if (!RegisterBuiltinRoles(roles).ok()) return 1;
  FloorProcess floor_process;

  // All Ready, per count: rounds alternate the floor and each mode.
  std::printf("%-28s %6s %12s %12s %s\n", "all Ready", "n", "median ms",
              "p99 ms", "ratio to the floor (median; p99)");
  for (int n : counts) {
    std::vector<absl::Duration> floor;
    std::map<std::string, std::vector<absl::Duration>> by_mode;
    for (int round = 0; round < rounds; ++round) {
      if (std::optional<absl::Duration> d = floor_process.Measure(n)) {
        floor.push_back(*d);
      }
      for (const LaunchMode* mode : modes) {
        if (n > mode->max_helpers) continue;
        if (std::optional<absl::Duration> d = ModeRound(roles, *mode, n)) {
          by_mode[mode->name].push_back(*d);
        }
      }
    }
    const Stats floor_stats = Summarize(floor);
    std::printf("%-28s %6d %12.2f %12.2f (%zu rounds)\n", "fork floor", n,
                floor_stats.median_ms, floor_stats.p99_ms, floor_stats.samples);
    for (const LaunchMode* mode : modes) {
      if (n > mode->max_helpers) {
        std::printf("%-28s %6d not measured (more than %d)\n", mode->name, n,
                    mode->max_helpers);
        continue;
      }
      const Stats stats = Summarize(by_mode[mode->name]);
      std::printf("%-28s %6d %12.2f %12.2f %.2fx; %.2fx (%zu rounds)%s\n",
                  mode->name, n, stats.median_ms, stats.p99_ms,
                  stats.median_ms / floor_stats.median_ms,
                  stats.p99_ms / floor_stats.p99_ms, stats.samples,
                  n >= 1000 ? "  target <= 1.3x" : "");
    }
  }

  // Memory of idle helpers, every descendant counted.
  if (pss_helpers > 0) {
    std::printf("\n%-28s %6s %12s %12s %s\n", "idle memory", "n",
                "total PSS MB", "per helper", "processes (keepers too)");
    for (const LaunchMode* mode : modes) {
      if (pss_helpers > mode->max_helpers) continue;
      absl::StatusOr<std::unique_ptr<Host>> host = MakeHost(roles, *mode);
      if (!host.ok() || !LaunchAllReady(**host, pss_helpers)) {
        std::printf("%-28s failed\n", mode->name);
        continue;
      }
      const std::vector<std::pair<int64_t, int64_t>> processes = Descendants();
      uint64_t total_kb = 0;
      size_t counted = 0;
      for (const auto& [pid, parent] : processes) {
        if (pid == floor_process.pid()) continue;  // Not the host's.
        ++counted;
        // A helper's teardown keeper shares its memory (CLONE_VM): counted
        // once, with the helper.
        if (::syscall(SYS_kcmp, pid, parent, KCMP_VM, 0, 0) == 0) continue;
        total_kb += PssKb(pid);
      }
      std::printf("%-28s %6d %12.1f %9.3f MB %zu (target <= 1 MB each)\n",
                  mode->name, pss_helpers, total_kb / 1024.0,
                  total_kb / 1024.0 / pss_helpers, counted);
    }
  }

  // The host's CPU with idle helpers at the default heartbeat.
  if (idle_helpers > 0 && idle_seconds > 0) {
    std::printf("\n%-28s %6s %12s %12s\n", "idle host CPU", "n", "seconds",
                "% of a core");
    for (const LaunchMode* mode : modes) {
      if (idle_helpers > mode->max_helpers) continue;
      absl::StatusOr<std::unique_ptr<Host>> host = MakeHost(roles, *mode);
      if (!host.ok() || !LaunchAllReady(**host, idle_helpers)) {
        std::printf("%-28s failed\n", mode->name);
        continue;
      }
      // The launches' own aftermath settles first (one heartbeat interval).
      RunUntil(
          **host, [] { return false; }, absl::Seconds(1));
      const double cpu_before = CpuSeconds();
      const absl::Time start = absl::Now();
      RunUntil(
          **host, [] { return false; }, absl::Seconds(idle_seconds));
      const double wall = absl::ToDoubleSeconds(absl::Now() - start);
      const double cpu = CpuSeconds() - cpu_before;
      std::printf("%-28s %6d %12.3f %11.2f%% (over %.1f s; target < 2%%)\n",
                  mode->name, idle_helpers, cpu, 100.0 * cpu / wall, wall);
    }
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
