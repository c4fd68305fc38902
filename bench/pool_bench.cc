// HelperPool's overhead on small tasks, beside its floor in the same run:
//   pool:    N small renderer tasks submitted at once to a HelperPool of H
//            helpers (one call in flight per helper), until all have ended.
//   floor:   the same N tasks dispatched by hand to H helpers launched
//            directly: one Call in flight per helper, the next one sent from
//            the previous one's completion.
// Both sides use helpers launched the same way (the host's defaults: sandboxed
// where the platform has a sandbox); rounds alternate. Prints tasks per second
// (median of the rounds) and the ratio pool time / floor time.
//
//   bench/pool_bench [--tasks=N] [--helpers=H] [--rounds=R]
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "browser_host/roles/builtin_roles.h"
#include "browser_host/roles/work.pb.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/helper_main.h"
#include "host/helper_pool.h"
#include "host/host.h"

namespace bulkhead {
namespace {

using roles::LayoutTextRequest;
using roles::LayoutTextResponse;

LayoutTextRequest SmallTask(int i) {
  LayoutTextRequest request;
  request.set_text(absl::StrFormat("task %d: a few words to wrap", i));
  request.set_width(12);
  return request;
}

// Runs the loop until `done()`; false when `timeout` passed first.
bool RunUntil(Host& host, const std::function<bool()>& done,
              absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > give_up) return false;
    uv_run(host.loop(), UV_RUN_ONCE);
  }
  return true;
}

std::optional<absl::Duration> HandDispatched(Host& host, int helpers,
                                             int tasks) {
  std::vector<HelperProcess*> ready;
  int failed_launches = 0;
  for (int i = 0; i < helpers; ++i) {
    absl::StatusOr<HelperProcess*> launched =
        host.Launch("renderer", [&](absl::StatusOr<HelperProcess*> helper) {
          if (helper.ok()) {
            ready.push_back(*helper);
          } else {
            ++failed_launches;
          }
        });
    if (!launched.ok()) return std::nullopt;
  }
  if (!RunUntil(host,
                [&] {
                  return static_cast<int>(ready.size()) + failed_launches ==
                         helpers;
                }) ||
      failed_launches > 0) {
    return std::nullopt;
  }
  int sent = 0;
  int ended = 0;
  int errors = 0;
  std::function<void(HelperProcess*)> next = [&](HelperProcess* helper) {
    if (sent == tasks) return;
    const int i = sent++;
    helper->Call<LayoutTextRequest, LayoutTextResponse>(
        SmallTask(i), absl::Now() + absl::Seconds(30),
        [&, helper](absl::StatusOr<LayoutTextResponse> reply) {
          ++ended;
          if (!reply.ok()) ++errors;
          next(helper);
        });
  };
  const absl::Time start = absl::Now();
  for (HelperProcess* helper : ready) next(helper);
  const bool finished = RunUntil(host, [&] { return ended == tasks; });
  const absl::Duration took = absl::Now() - start;
  for (HelperProcess* helper : ready) helper->Stop(absl::Seconds(2), "done");
  RunUntil(host, [&] { return host.helpers().empty(); });
  if (!finished || errors > 0) return std::nullopt;
  return took;
}

std::optional<absl::Duration> Pooled(Host& host, int helpers, int tasks) {
  HelperPool::Options options;
  options.role = "renderer";
  options.min_helpers = helpers;
  options.max_helpers = helpers;
  options.max_queued = static_cast<size_t>(tasks);
  absl::StatusOr<std::unique_ptr<HelperPool>> pool =
      HelperPool::Create(host, options);
  if (!pool.ok()) return std::nullopt;
  if (!RunUntil(host, [&] { return (*pool)->stats().ready == helpers; })) {
    return std::nullopt;
  }
  int ended = 0;
  int errors = 0;
  const absl::Time start = absl::Now();
  for (int i = 0; i < tasks; ++i) {
    (*pool)->Submit<LayoutTextRequest, LayoutTextResponse>(
        SmallTask(i), {}, [&](absl::StatusOr<LayoutTextResponse> reply) {
          ++ended;
          if (!reply.ok()) ++errors;
        });
  }
  const bool finished = RunUntil(host, [&] { return ended == tasks; });
  const absl::Duration took = absl::Now() - start;
  bool stopped = false;
  (*pool)->Shutdown(absl::Seconds(2), [&] { stopped = true; });
  RunUntil(host, [&] { return stopped; });
  if (!finished || errors > 0) return std::nullopt;
  return took;
}

absl::Duration Median(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

int Main(int argc, char** argv, const RoleRegistry& roles) {
  const CommandLine line = CommandLine::Parse(argc, argv);
  absl::StatusOr<int64_t> tasks =
      line.Has("tasks") ? line.GetInt("tasks", 1, 10000000) : 20000;
  absl::StatusOr<int64_t> helpers =
      line.Has("helpers") ? line.GetInt("helpers", 1, 64) : 2;
  absl::StatusOr<int64_t> rounds =
      line.Has("rounds") ? line.GetInt("rounds", 1, 1000) : 5;
  for (const absl::Status& status :
       {tasks.status(), helpers.status(), rounds.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 2;
    }
  }
  SetLogLevel(LogLevel::kError);
  Host::Options options;
  options.roles = &roles;
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  if (!host.ok()) {
    std::fprintf(stderr, "%s\n", host.status().ToString().c_str());
    return 1;
  }
  const int n = static_cast<int>(*tasks);
  const int h = static_cast<int>(*helpers);
  std::vector<absl::Duration> pool_times;
  std::vector<absl::Duration> floor_times;
  for (int round = 0; round < *rounds; ++round) {
    std::optional<absl::Duration> floor = HandDispatched(**host, h, n);
    std::optional<absl::Duration> pool = Pooled(**host, h, n);
    if (!floor.has_value() || !pool.has_value()) {
      std::fprintf(stderr, "round %d failed\n", round);
      return 1;
    }
    floor_times.push_back(*floor);
    pool_times.push_back(*pool);
  }
  const absl::Duration floor = Median(floor_times);
  const absl::Duration pool = Median(pool_times);
  auto per_second = [n](absl::Duration took) {
    return n / absl::ToDoubleSeconds(took);
  };
  std::printf("== %d small tasks on %d helpers, median of %d rounds\n", n, h,
              static_cast<int>(*rounds));
  std::printf("%-34s %12.0f tasks/s\n", "floor: hand-dispatched Calls",
              per_second(floor));
  std::printf("%-34s %12.0f tasks/s\n", "HelperPool", per_second(pool));
  std::printf("ratio pool/floor (time): %.3fx\n",
              absl::ToDoubleSeconds(pool) / absl::ToDoubleSeconds(floor));
  // Each round's two runs are next to each other in time: the median of
  // their ratios is less moved by what else the machine does meanwhile.
  std::vector<double> ratios;
  for (size_t i = 0; i < pool_times.size(); ++i) {
    ratios.push_back(absl::ToDoubleSeconds(pool_times[i]) /
                     absl::ToDoubleSeconds(floor_times[i]));
  }
  std::sort(ratios.begin(), ratios.end());
  std::printf("median of the rounds' ratios: %.3fx\n",
              ratios[ratios.size() / 2]);
  return 0;
}

}  // namespace
}  // namespace bulkhead

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!bulkhead::RegisterBuiltinRoles(roles).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;
  return bulkhead::Main(argc, argv, roles);
}
