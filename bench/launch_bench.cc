// Launch to Ready, sandboxed and not, beside three floors, in one run:
//   fork floor:       this process (warm: the host's libraries loaded and
//                     initialised) forked, the child writing one byte back
//                     at once, no exec: what a zygote's fork costs at best.
//   fork+exec floor:  this same binary forked and exec'd, writing one byte
//                     back on fd 3 as soon as main() runs (dynamic loading
//                     and static initialisation included, as for a helper).
//   bwrap:            the same, under `bwrap --unshare-all --die-with-parent`
//                     (skipped when bwrap is missing).
//   unsandboxed:      Host::Launch until the helper's Ready, forked by the
//                     zygote (the default) and exec'd.
//   sandboxed:        the same inside the Linux sandbox (namespaces, lockdown,
//                     seccomp): forked by the zygote of its sandbox shape
//                     (Host::Options::fork_sandboxed_helpers, the default;
//                     the zygote is started by one launch before the timed
//                     ones) and exec'd into fresh namespaces.
//   sandboxed + view: the same (forked) with a filesystem view of 10
//                     read-only binds and a tmpfs (ratio to sandboxed without
//                     a view).
// Prints medians and 99th percentiles in milliseconds, the ratios the
// sandbox issue sets targets for, and one summary line per figure.
//
//   bench/launch_bench [--iterations=N] [--only=sandboxed|unsandboxed]
// --only runs that forked launch alone, for a profiler.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/latency_stats.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/helper_main.h"
#include "host/host.h"
#include "host/launch/launcher.h"
#include "sample_roles/builtin_roles.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {
namespace {

constexpr char kEchoFlag[] = "--bench-echo";

using bench::Stats;
using bench::Summarize;

// fork of this process until the child writes a byte on its end of a
// socketpair: at once (`exec_argv` null), or once exec'd into `exec_argv`
// with that end as fd 3.
std::vector<absl::Duration> ForkUntilByte(int iterations,
                                          char* const* exec_argv = nullptr) {
  std::vector<absl::Duration> samples;
  for (int i = 0; i < iterations; ++i) {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) break;
    const absl::Time start = absl::Now();
    const pid_t child = ::fork();
    if (child == 0) {
      if (exec_argv == nullptr) ::_exit(::write(ends[1], "R", 1) == 1 ? 0 : 1);
      ::dup2(ends[1], 3);
      ::execvp(exec_argv[0], exec_argv);
      ::_exit(127);
    }
    ::close(ends[1]);
    char byte = 0;
    const ssize_t n = ::read(ends[0], &byte, 1);
    const absl::Time end = absl::Now();
    ::close(ends[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (n != 1) break;
    samples.push_back(end - start);
  }
  return samples;
}

// fork+exec of `args` until it writes a byte on fd 3.
std::vector<absl::Duration> ExecUntilByte(std::vector<std::string> args,
                                          int iterations) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return ForkUntilByte(iterations, argv.data());
}

// `policy`: every helper's sandbox policy (the built-in preset when unset).
// `fork_from_zygote`: Host::Options::fork_helpers_from_zygote, or for
// sandboxed helpers fork_sandboxed_helpers. A forking host launches one
// helper untimed first, so that its zygote's start is not a sample.
std::vector<absl::Duration> HostLaunchToReady(
    bool sandboxed, const RoleRegistry& roles, int iterations,
    std::optional<sandbox::SandboxPolicy> policy = std::nullopt,
    bool fork_from_zygote = true) {
  Host::Options options;
  options.roles = &roles;
  options.forward_helper_output = false;
  options.sandbox_helpers = sandboxed;
  options.fork_helpers_from_zygote = fork_from_zygote;
  options.fork_sandboxed_helpers =
      fork_from_zygote && options.fork_sandboxed_helpers;
  if (fork_from_zygote) ++iterations;
  if (policy.has_value()) {
    options.sandbox_policy_for_role = [policy](absl::string_view) {
      return *policy;
    };
  }
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  std::vector<absl::Duration> samples;
  if (!host.ok()) return samples;
  for (int i = 0; i < iterations; ++i) {
    bool ready = false;
    HelperProcess* helper = nullptr;
    const absl::Time start = absl::Now();
    if (!(*host)
             ->Launch("renderer",
                      [&](absl::StatusOr<HelperProcess*> h) {
                        ready = true;
                        if (h.ok()) helper = *h;
                      })
             .ok()) {
      break;
    }
    while (!ready) uv_run((*host)->loop(), UV_RUN_ONCE);
    if (helper == nullptr) break;
    if (!fork_from_zygote || i > 0) samples.push_back(absl::Now() - start);
    bool exited = false;
    (*host)->SetExitHandler([&](const ExitInfo&) { exited = true; });
    helper->Kill(HostAction::kKillRequested, "bench");
    while (!exited) uv_run((*host)->loop(), UV_RUN_ONCE);
    (*host)->SetExitHandler(nullptr);
  }
  return samples;
}

// The renderer's preset with a view of 10 read-only binds (directories made
// for the bench under `dir`) and a 16 MiB tmpfs.
std::optional<sandbox::SandboxPolicy> PolicyWithView(const std::string& dir) {
  sandbox::SandboxPolicyBuilder builder =
      sandbox::SandboxPolicyBuilder::FromPolicy(
          sandbox::PresetForRole("renderer"));
  for (int i = 0; i < 10; ++i) {
    const std::string path = absl::StrCat(dir, "/ro", i);
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
      return std::nullopt;
    builder.AddReadOnly(path);
  }
  builder.AddTmpfs(dir + "/scratch", uint64_t{16} << 20);
  absl::StatusOr<sandbox::SandboxPolicy> policy = builder.Build();
  if (!policy.ok()) return std::nullopt;
  return *std::move(policy);
}

void Line(const char* name, const Stats& stats) {
  std::printf("%-34s median %7.2f ms  p99 %7.2f ms  (%zu runs)\n", name,
              stats.median_ms, stats.p99_ms, stats.samples);
}

int Main(int argc, char** argv) {
  const CommandLine line = CommandLine::Parse(argc, argv);
  absl::StatusOr<int64_t> iterations =
      line.Has("iterations") ? line.GetInt("iterations", 1, 100000) : 100;
  if (!iterations.ok()) {
    std::fprintf(stderr, "%s\n", iterations.status().ToString().c_str());
    return 2;
  }
  SetLogLevel(LogLevel::kError);
  RoleRegistry roles;
  if (!RegisterBuiltinRoles(roles).ok()) return 1;
  absl::StatusOr<std::string> self = CurrentExecutablePath();
  if (!self.ok()) return 1;
  const int n = static_cast<int>(*iterations);
  // One mode alone, for a profiler (perf record) to see nothing else.
  if (line.Has("only")) {
    const std::string only = line.Get("only").value_or("");
    if (only != "sandboxed" && only != "unsandboxed") {
      std::fprintf(stderr, "--only=sandboxed|unsandboxed, not '%s'\n",
                   only.c_str());
      return 2;
    }
    Line(only == "sandboxed" ? "sandboxed launch -> Ready"
                             : "unsandboxed launch -> Ready",
         Summarize(HostLaunchToReady(only == "sandboxed", roles, n)));
    return 0;
  }

  const Stats fork_floor = Summarize(ForkUntilByte(n));
  const Stats floor = Summarize(ExecUntilByte({*self, kEchoFlag}, n));
  const bool have_bwrap = ::access("/usr/bin/bwrap", X_OK) == 0;
  const Stats bwrap =
      have_bwrap
          ? Summarize(ExecUntilByte(
                {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent",
                 "--ro-bind", "/", "/", "--dev", "/dev", *self, kEchoFlag},
                n))
          : Stats();
  const Stats plain = Summarize(HostLaunchToReady(false, roles, n));
  const Stats plain_execd = Summarize(
      HostLaunchToReady(false, roles, n, std::nullopt, /*fork_from_zygote=*/
                        false));
  // Sandboxed with and without a filesystem view (10 binds and a tmpfs), in
  // alternating rounds so that a machine busy for a while weighs on both.
  char view_dir[] = "/tmp/bulkhead-launch-bench-XXXXXX";
  std::optional<sandbox::SandboxPolicy> view_policy;
  if (::mkdtemp(view_dir) != nullptr) {
    ::chmod(view_dir, 0755);
    view_policy = PolicyWithView(view_dir);
  }
  std::vector<absl::Duration> sandboxed_samples, execd_samples, view_samples;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    const int count = n / kRounds + (round < n % kRounds ? 1 : 0);
    if (count == 0) continue;
    for (absl::Duration d : HostLaunchToReady(true, roles, count)) {
      sandboxed_samples.push_back(d);
    }
    for (absl::Duration d : HostLaunchToReady(true, roles, count, std::nullopt,
                                              /*fork_from_zygote=*/false)) {
      execd_samples.push_back(d);
    }
    if (!view_policy.has_value()) continue;
    for (absl::Duration d :
         HostLaunchToReady(true, roles, count, view_policy)) {
      view_samples.push_back(d);
    }
  }
  const Stats sandboxed = Summarize(sandboxed_samples);
  const Stats sandboxed_execd = Summarize(execd_samples);
  const Stats with_view = Summarize(view_samples);
  if (view_policy.has_value()) {
    for (int i = 0; i < 10; ++i) {
      ::rmdir(absl::StrCat(view_dir, "/ro", i).c_str());
    }
    ::rmdir(view_dir);
  }

  Line("fork floor (warm process, no exec)", fork_floor);
  Line("fork+exec floor (same binary)", floor);
  if (have_bwrap) Line("bwrap --unshare-all (same binary)", bwrap);
  Line("unsandboxed launch -> Ready", plain);
  Line("unsandboxed exec'd -> Ready", plain_execd);
  Line("sandboxed launch -> Ready", sandboxed);
  Line("sandboxed exec'd -> Ready", sandboxed_execd);
  if (with_view.samples > 0) {
    Line("sandboxed, view of 10 binds+tmpfs", with_view);
  }
  std::printf("\n%-32s %10s %5s %s\n", "name", "value", "unit",
              "ratio-to-floor");
  std::printf("%-32s %10.2f %5s %.2fx fork+exec (target <= 1.2x)\n",
              "launch_unsandboxed_median", plain.median_ms, "ms",
              plain.median_ms / floor.median_ms);
  std::printf("%-32s %10.2f %5s %.2fx the fork floor, p99 %.2fx\n",
              "launch_unsandboxed_vs_fork", plain.median_ms, "ms",
              plain.median_ms / fork_floor.median_ms,
              plain.p99_ms / fork_floor.p99_ms);
  std::printf("%-32s %10.2f %5s %.2fx fork+exec, %.2fx forked\n",
              "launch_unsandboxed_execd_median", plain_execd.median_ms, "ms",
              plain_execd.median_ms / floor.median_ms,
              plain_execd.median_ms / plain.median_ms);
  std::printf("%-32s %10.2f %5s %.2fx the fork floor\n",
              "launch_sandboxed_vs_fork", sandboxed.median_ms, "ms",
              sandboxed.median_ms / fork_floor.median_ms);
  std::printf("%-32s %10.2f %5s %.2fx forked, %.2fx fork+exec\n",
              "launch_sandboxed_execd_median", sandboxed_execd.median_ms, "ms",
              sandboxed_execd.median_ms / sandboxed.median_ms,
              sandboxed_execd.median_ms / floor.median_ms);
  if (have_bwrap) {
    std::printf("%-32s %10.2f %5s %.2fx bwrap (target <= 0.25x), p99 %.2fx\n",
                "launch_sandboxed_median", sandboxed.median_ms, "ms",
                sandboxed.median_ms / bwrap.median_ms,
                sandboxed.p99_ms / bwrap.p99_ms);
    std::printf("%-32s %10.2f %5s %.2fx bwrap\n",
                "launch_sandboxed_execd_vs_bwrap", sandboxed_execd.median_ms,
                "ms", sandboxed_execd.median_ms / bwrap.median_ms);
  } else {
    std::printf("%-32s %10.2f %5s %.2fx fork+exec (no bwrap here)\n",
                "launch_sandboxed_median", sandboxed.median_ms, "ms",
                sandboxed.median_ms / floor.median_ms);
  }
  if (with_view.samples > 0) {
    std::printf("%-32s %10.2f %5s %.2fx sandboxed without a view\n",
                "launch_sandboxed_view_median", with_view.median_ms, "ms",
                with_view.median_ms / sandboxed.median_ms);
  } else {
    std::printf("launch_sandboxed_view_median: not measured (no view here)\n");
  }
  return 0;
}

}  // namespace
}  // namespace bulkhead

int main(int argc, char** argv) {
  // The floor's child: as little as a helper could do once main() runs.
  if (argc == 2 && std::strcmp(argv[1], bulkhead::kEchoFlag) == 0) {
    return ::write(3, "R", 1) == 1 ? 0 : 1;
  }
  bulkhead::RoleRegistry roles;
  if (!bulkhead::RegisterBuiltinRoles(roles).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;
  return bulkhead::Main(argc, argv);
}
