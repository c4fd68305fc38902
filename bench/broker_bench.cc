// A file broker round trip beside a plain open(), in one run:
//   open() floor:   open(2) + close(2) of a file, in the host's process.
//   broker:         HelperContext::OpenFile of the same file from a sandboxed
//                   helper (where the sandbox is available, else unsandboxed):
//                   the request to the host, the host's decision and open, the
//                   descriptor passed back, the callback; then close(2).
// Prints medians and 99th percentiles in microseconds and the ratio.
//
//   bench/broker_bench [--iterations=N]   (N <= 500: the host lets a helper
//                                          ask 512 at once, then 2000 a second)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/helper_context.h"
#include "helper/helper_main.h"
#include "host/host.h"
#include "sample_roles/work.pb.h"

namespace bulkhead {
namespace {

constexpr char kRole[] = "broker-bench";

struct Stats {
  double median_us = 0;
  double p99_us = 0;
  size_t samples = 0;
};

Stats Summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  Stats stats;
  stats.samples = samples.size();
  if (samples.empty()) return stats;
  stats.median_us = samples[samples.size() / 2];
  stats.p99_us =
      samples[std::min(samples.size() - 1, samples.size() * 99 / 100)];
  return stats;
}

// The helper: on a one-way LayoutTextRequest "N PATH" it opens PATH through
// the broker N times, one after the other, and sends the round trips (in
// microseconds) back as one-way LayoutTextResponse lines.
struct Run {
  HelperContext* context;
  std::string path;
  int left;
  absl::Time started;
  roles::LayoutTextResponse result;

  static void Next(std::shared_ptr<Run> run) {
    if (run->left-- == 0) {
      (void)run->context->channel().Send(run->result);
      return;
    }
    run->started = absl::Now();
    run->context->OpenFile(
        run->path, O_RDONLY, [run](absl::StatusOr<ScopedHandle> file) {
          const absl::Duration took = absl::Now() - run->started;
          if (!file.ok()) {
            run->result.add_lines(
                absl::StrCat("error ", file.status().ToString()));
            (void)run->context->channel().Send(run->result);
            return;
          }
          file->reset();  // close(2), as the floor does.
          run->result.add_lines(absl::StrCat(absl::ToDoubleMicroseconds(took)));
          Next(run);
        });
  }
};

int BrokerBenchMain(HelperContext& context) {
  context.channel().On<roles::LayoutTextRequest>(
      [&context](const roles::LayoutTextRequest& request) {
        auto run = std::make_shared<Run>();
        run->context = &context;
        const size_t space = request.text().find(' ');
        if (!absl::SimpleAtoi(request.text().substr(0, space), &run->left)) {
          return;
        }
        run->path = request.text().substr(space + 1);
        Run::Next(run);
      });
  return context.Run();
}

std::vector<double> PlainOpens(const std::string& path, int iterations) {
  std::vector<double> samples;
  for (int i = 0; i < iterations; ++i) {
    const absl::Time start = absl::Now();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    ::close(fd);
    samples.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  return samples;
}

std::vector<double> BrokerOpens(const RoleRegistry& roles,
                                const std::filesystem::path& dir,
                                const std::string& path, int iterations,
                                bool* sandboxed) {
  Host::Options options;
  options.roles = &roles;
  options.forward_helper_output = false;
  options.sandbox_policy_for_role = [dir](absl::string_view role) {
    sandbox::SandboxPolicy policy = sandbox::PresetForRole(role);
    policy.broker_rules.push_back({dir.string(), true, false});
    return policy;
  };
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  std::vector<double> samples;
  if (!host.ok()) return samples;
  bool ready = false;
  HelperProcess* helper = nullptr;
  if (!(*host)
           ->Launch(kRole,
                    [&](absl::StatusOr<HelperProcess*> h) {
                      ready = true;
                      if (h.ok()) helper = *h;
                    })
           .ok()) {
    return samples;
  }
  while (!ready) uv_run((*host)->loop(), UV_RUN_ONCE);
  if (helper == nullptr) return samples;
  *sandboxed = helper->sandbox_status().sandboxed();
  std::optional<roles::LayoutTextResponse> result;
  helper->channel().On<roles::LayoutTextResponse>(
      [&](const roles::LayoutTextResponse& response) { result = response; });
  roles::LayoutTextRequest request;
  request.set_text(absl::StrCat(iterations, " ", path));
  if (!helper->channel().Send(request).ok()) return samples;
  while (!result.has_value() && helper->state() == HelperProcess::State::kReady)
    uv_run((*host)->loop(), UV_RUN_ONCE);
  if (result.has_value()) {
    for (const std::string& line : result->lines()) {
      double us = 0;
      if (!absl::SimpleAtod(line, &us)) {
        std::fprintf(stderr, "%s\n", line.c_str());
        break;
      }
      samples.push_back(us);
    }
  }
  bool exited = false;
  (*host)->SetExitHandler([&](const ExitInfo&) { exited = true; });
  helper->Kill(HostAction::kKillRequested, "bench");
  while (!exited) uv_run((*host)->loop(), UV_RUN_ONCE);
  return samples;
}

void Line(const char* name, const Stats& stats) {
  std::printf("%-34s median %8.2f us  p99 %8.2f us  (%zu runs)\n", name,
              stats.median_us, stats.p99_us, stats.samples);
}

int Main(int argc, char** argv, const RoleRegistry& roles) {
  const CommandLine line = CommandLine::Parse(argc, argv);
  absl::StatusOr<int64_t> iterations =
      line.Has("iterations") ? line.GetInt("iterations", 1, 500) : 400;
  if (!iterations.ok()) {
    std::fprintf(stderr, "%s\n", iterations.status().ToString().c_str());
    return 2;
  }
  SetLogLevel(LogLevel::kError);
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       absl::StrCat("bulkhead-broker-bench-", ::getpid());
  fs::create_directories(dir);
  const std::string path = (dir / "data.bin").string();
  std::ofstream(path) << "some bytes";
  const int n = static_cast<int>(*iterations);
  bool sandboxed = false;
  const Stats floor = Summarize(PlainOpens(path, n));
  const Stats broker = Summarize(BrokerOpens(roles, dir, path, n, &sandboxed));
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  if (broker.samples == 0) {
    std::fprintf(stderr, "the broker opened nothing\n");
    return 1;
  }
  Line("open()+close() floor (host)", floor);
  Line(sandboxed ? "broker OpenFile (sandboxed helper)"
                 : "broker OpenFile (unsandboxed)",
       broker);
  std::printf("\n%-32s %10s %5s %s\n", "name", "value", "unit",
              "ratio-to-floor");
  std::printf("%-32s %10.2f %5s %.1fx open()\n", "broker_open_median",
              broker.median_us, "us", broker.median_us / floor.median_us);
  return 0;
}

}  // namespace
}  // namespace bulkhead

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!roles.Add(bulkhead::kRole, &bulkhead::BrokerBenchMain).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;
  return bulkhead::Main(argc, argv, roles);
}
