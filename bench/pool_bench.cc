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
// Then, each beside its own floor in the same run:
//  - one-shot latency: a OneShotRunner's run of one small task (launch, call,
//    stop, reaped), without and with a warm spare (waited for between runs),
//    beside a plain launch to Ready; median and p99 of `oneshot_runs` each,
//    the three interleaved.
//  - crashes: the pool's throughput when every 100th task crashes its helper
//    (the renderer's demo crash, abort), beside the same tasks without;
//    rounds alternate.
//  - real work: ASCII PGM images of ~30 KB (112x76 pixels), each decoded,
//    blurred `blur_passes` times (3x3 box) and encoded again, by a pool of
//    `helpers` helpers of the bench's own `pgm-blur` role, beside one loop in
//    this process doing the same to the same images; rounds alternate.
//
//   bench/pool_bench [--tasks=N] [--helpers=H] [--rounds=R]
//       [--oneshot_runs=N] [--crash_tasks=N] [--work_tasks=N]
//       [--blur_passes=N] [--only=overhead|oneshot|crash|work]
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/pool_bench.pb.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "helper/helper_context.h"
#include "helper/helper_main.h"
#include "host/helper_pool.h"
#include "host/host.h"
#include "host/one_shot_runner.h"
#include "sample_roles/builtin_roles.h"
#include "sample_roles/work.pb.h"

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

// A pool of `helpers` helpers of `role`, all ready, with room to queue
// `tasks`; null when it cannot be had.
std::unique_ptr<HelperPool> ReadyPool(Host& host, const char* role, int helpers,
                                      int tasks) {
  HelperPool::Options options;
  options.role = role;
  options.min_helpers = helpers;
  options.max_helpers = helpers;
  options.max_queued = static_cast<size_t>(tasks);
  absl::StatusOr<std::unique_ptr<HelperPool>> pool =
      HelperPool::Create(host, options);
  if (!pool.ok() ||
      !RunUntil(host, [&] { return (*pool)->stats().ready == helpers; })) {
    return nullptr;
  }
  return *std::move(pool);
}

void StopPool(Host& host, HelperPool& pool) {
  bool stopped = false;
  pool.Shutdown(absl::Seconds(2), [&] { stopped = true; });
  RunUntil(host, [&] { return stopped; });
}

// Every `crash_every`-th task (0: none) crashes its helper (abort): those
// tasks must fail, and only those.
std::optional<absl::Duration> Pooled(Host& host, int helpers, int tasks,
                                     int crash_every = 0) {
  std::unique_ptr<HelperPool> pool =
      ReadyPool(host, "renderer", helpers, tasks);
  if (pool == nullptr) return std::nullopt;
  int ended = 0;
  int errors = 0;
  const absl::Time start = absl::Now();
  int expected_errors = 0;
  for (int i = 0; i < tasks; ++i) {
    LayoutTextRequest request = SmallTask(i);
    if (crash_every > 0 && i % crash_every == crash_every - 1) {
      request.set_text(absl::StrCat(roles::kDemoCrashText, "abort"));
      ++expected_errors;
    }
    pool->Submit<LayoutTextRequest, LayoutTextResponse>(
        request, {}, [&](absl::StatusOr<LayoutTextResponse> reply) {
          ++ended;
          if (!reply.ok()) ++errors;
        });
  }
  const bool finished = RunUntil(host, [&] { return ended == tasks; });
  const absl::Duration took = absl::Now() - start;
  StopPool(host, *pool);
  if (!finished || errors != expected_errors) {
    std::fprintf(stderr,
                 "pool: %d of %d tasks ended, %d failed (%d expected)\n", ended,
                 tasks, errors, expected_errors);
    return std::nullopt;
  }
  return took;
}

// --- One-shot latency --------------------------------------------------------

// Launch to Ready of one renderer; the helper is then stopped and reaped
// (not timed).
std::optional<absl::Duration> LaunchToReady(Host& host) {
  const size_t before = host.helpers().size();
  bool ready = false;
  bool failed = false;
  HelperProcess* helper = nullptr;
  const absl::Time start = absl::Now();
  absl::StatusOr<HelperProcess*> launched =
      host.Launch("renderer", [&](absl::StatusOr<HelperProcess*> result) {
        if (result.ok()) {
          helper = *result;
          ready = true;
        } else {
          failed = true;
        }
      });
  if (!launched.ok()) return std::nullopt;
  RunUntil(host, [&] { return ready || failed; });
  const absl::Duration took = absl::Now() - start;
  if (!ready) return std::nullopt;
  helper->Stop(absl::Seconds(2), "measured");
  RunUntil(host, [&] { return host.helpers().size() == before; });
  return took;
}

// One run of a small task on `runner`, from Run to its completion (the
// helper reaped).
std::optional<absl::Duration> OneShot(Host& host, OneShotRunner& runner) {
  std::optional<bool> ok;
  const absl::Time start = absl::Now();
  runner.Run<LayoutTextRequest, LayoutTextResponse>(
      SmallTask(0), absl::Seconds(30),
      [&](OneShotResult<LayoutTextResponse> result) {
        ok = result.reply.ok();
      });
  RunUntil(host, [&] { return ok.has_value(); });
  const absl::Duration took = absl::Now() - start;
  if (!ok.value_or(false)) return std::nullopt;
  return took;
}

// The one helper the warm runner keeps, ready.
bool SpareReady(Host& host) {
  const std::vector<HelperProcess*> helpers = host.helpers();
  return helpers.size() == 1 &&
         helpers[0]->state() == HelperProcess::State::kReady;
}

// --- Real work: ASCII PGM images -------------------------------------------

struct Pgm {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

std::string EncodePgm(const Pgm& image) {
  std::string out =
      absl::StrCat("P2\n", image.width, " ", image.height, "\n255\n");
  out.reserve(out.size() + image.pixels.size() * 4);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      absl::StrAppend(&out, static_cast<int>(image.pixels[y * image.width + x]),
                      x + 1 == image.width ? "\n" : " ");
    }
  }
  return out;
}

// Untrusted text: every token is checked.
std::optional<Pgm> DecodePgm(absl::string_view text) {
  size_t pos = 0;
  auto token = [&]() -> absl::string_view {
    while (pos < text.size() && absl::ascii_isspace(text[pos])) ++pos;
    const size_t start = pos;
    while (pos < text.size() && !absl::ascii_isspace(text[pos])) ++pos;
    return text.substr(start, pos - start);
  };
  auto number = [&](int max) -> std::optional<int> {
    int value = 0;
    if (!absl::SimpleAtoi(token(), &value) || value < 0 || value > max) {
      return std::nullopt;
    }
    return value;
  };
  if (token() != "P2") return std::nullopt;
  std::optional<int> width = number(4096);
  std::optional<int> height = number(4096);
  std::optional<int> max = number(255);
  if (!width || !height || max != 255) return std::nullopt;
  Pgm image{*width, *height, {}};
  image.pixels.resize(static_cast<size_t>(*width) * *height);
  for (uint8_t& pixel : image.pixels) {
    std::optional<int> value = number(255);
    if (!value) return std::nullopt;
    pixel = static_cast<uint8_t>(*value);
  }
  return image;
}

// A 3x3 box blur, the edges clamped.
void Blur(Pgm& image) {
  std::vector<uint8_t> out(image.pixels.size());
  const int w = image.width;
  const int h = image.height;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int sum = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        const int yy = std::clamp(y + dy, 0, h - 1);
        for (int dx = -1; dx <= 1; ++dx) {
          sum += image.pixels[yy * w + std::clamp(x + dx, 0, w - 1)];
        }
      }
      out[y * w + x] = static_cast<uint8_t>(sum / 9);
    }
  }
  image.pixels = std::move(out);
}

// The work, in the helper or in this process.
absl::StatusOr<bench::BlurPgmResponse> BlurPgm(
    const bench::BlurPgmRequest& request) {
  std::optional<Pgm> image = DecodePgm(request.pgm());
  if (!image.has_value()) return absl::InvalidArgumentError("not a P2 PGM");
  for (int i = 0; i < std::clamp(request.passes(), 0, 64); ++i) Blur(*image);
  bench::BlurPgmResponse response;
  response.set_pgm(EncodePgm(*image));
  return response;
}

// Distinct images of 112x76 pixels (~30 KB as text), smooth with noise.
std::vector<bench::BlurPgmRequest> MakeImages(int count, int passes) {
  std::vector<bench::BlurPgmRequest> images;
  uint32_t seed = 12345;
  for (int n = 0; n < count; ++n) {
    Pgm image{112, 76, {}};
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        seed = seed * 1664525u + 1013904223u;
        image.pixels.push_back(static_cast<uint8_t>(
            (x * 2 + y * 3 + n * 17 + (seed >> 24)) % 256));
      }
    }
    bench::BlurPgmRequest request;
    request.set_pgm(EncodePgm(image));
    request.set_passes(passes);
    images.push_back(std::move(request));
  }
  return images;
}

std::optional<absl::Duration> WorkInProcess(
    const std::vector<bench::BlurPgmRequest>& images, int tasks,
    size_t& output_bytes) {
  output_bytes = 0;
  const absl::Time start = absl::Now();
  for (int i = 0; i < tasks; ++i) {
    absl::StatusOr<bench::BlurPgmResponse> reply =
        BlurPgm(images[i % images.size()]);
    if (!reply.ok()) return std::nullopt;
    output_bytes += reply->pgm().size();
  }
  return absl::Now() - start;
}

std::optional<absl::Duration> WorkPooled(
    Host& host, int helpers, const std::vector<bench::BlurPgmRequest>& images,
    int tasks, size_t& output_bytes) {
  std::unique_ptr<HelperPool> pool =
      ReadyPool(host, "pgm-blur", helpers, tasks);
  if (pool == nullptr) return std::nullopt;
  output_bytes = 0;
  int ended = 0;
  int errors = 0;
  absl::Status first_error;
  const absl::Time start = absl::Now();
  for (int i = 0; i < tasks; ++i) {
    pool->Submit<bench::BlurPgmRequest, bench::BlurPgmResponse>(
        images[i % images.size()], {},
        [&](absl::StatusOr<bench::BlurPgmResponse> reply) {
          ++ended;
          if (reply.ok()) {
            output_bytes += reply->pgm().size();
          } else if (errors++ == 0) {
            first_error = reply.status();
          }
        });
  }
  const bool finished = RunUntil(host, [&] { return ended == tasks; });
  const absl::Duration took = absl::Now() - start;
  StopPool(host, *pool);
  if (!finished || errors > 0) {
    std::fprintf(stderr, "pooled work: %d of %d tasks ended, %d failed%s%s\n",
                 ended, tasks, errors, errors > 0 ? ", the first: " : "",
                 errors > 0 ? first_error.ToString().c_str() : "");
    return std::nullopt;
  }
  return took;
}

absl::Duration Median(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// The nearest-rank 99th percentile.
absl::Duration P99(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  const size_t rank = (samples.size() * 99 + 99) / 100;
  return samples[std::max<size_t>(rank, 1) - 1];
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// The median of the per-round ratios a[i] / b[i].
double MedianRatio(const std::vector<absl::Duration>& a,
                   const std::vector<absl::Duration>& b) {
  std::vector<double> ratios;
  for (size_t i = 0; i < a.size(); ++i) {
    ratios.push_back(absl::ToDoubleSeconds(a[i]) / absl::ToDoubleSeconds(b[i]));
  }
  std::sort(ratios.begin(), ratios.end());
  return ratios[ratios.size() / 2];
}

int Overhead(Host& host, int n, int h, int rounds) {
  std::vector<absl::Duration> pool_times;
  std::vector<absl::Duration> floor_times;
  for (int round = 0; round < rounds; ++round) {
    std::optional<absl::Duration> floor = HandDispatched(host, h, n);
    std::optional<absl::Duration> pool = Pooled(host, h, n);
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
              rounds);
  std::printf("%-34s %12.0f tasks/s\n", "floor: hand-dispatched Calls",
              per_second(floor));
  std::printf("%-34s %12.0f tasks/s\n", "HelperPool", per_second(pool));
  std::printf("ratio pool/floor (time): %.3fx\n",
              absl::ToDoubleSeconds(pool) / absl::ToDoubleSeconds(floor));
  // Each round's two runs are next to each other in time: the median of
  // their ratios is less moved by what else the machine does meanwhile.
  std::printf("median of the rounds' ratios: %.3fx\n",
              MedianRatio(pool_times, floor_times));
  return 0;
}

int OneShotLatency(Host& host, int runs) {
  OneShotRunner::Options cold_options;
  cold_options.role = "renderer";
  absl::StatusOr<std::unique_ptr<OneShotRunner>> cold =
      OneShotRunner::Create(host, cold_options);
  OneShotRunner::Options warm_options = cold_options;
  warm_options.warm_spare = true;
  absl::StatusOr<std::unique_ptr<OneShotRunner>> warm =
      OneShotRunner::Create(host, warm_options);
  if (!cold.ok() || !warm.ok()) {
    std::fprintf(stderr, "one-shot runner: %s %s\n",
                 cold.status().ToString().c_str(),
                 warm.status().ToString().c_str());
    return 1;
  }
  // Every sample starts with the warm runner's spare ready and nothing
  // else running; the three kinds take turns.
  std::vector<absl::Duration> launch_times;
  std::vector<absl::Duration> cold_times;
  std::vector<absl::Duration> warm_times;
  for (int i = 0; i < runs; ++i) {
    if (!RunUntil(host, [&] { return SpareReady(host); })) {
      std::fprintf(stderr, "the warm spare never became ready\n");
      return 1;
    }
    std::optional<absl::Duration> launch = LaunchToReady(host);
    std::optional<absl::Duration> one_cold = OneShot(host, **cold);
    std::optional<absl::Duration> one_warm = OneShot(host, **warm);
    if (!launch || !one_cold || !one_warm) {
      std::fprintf(stderr, "one-shot sample %d failed\n", i);
      return 1;
    }
    launch_times.push_back(*launch);
    cold_times.push_back(*one_cold);
    warm_times.push_back(*one_warm);
  }
  std::printf(
      "== one-shot latency (a small task; launch, call, stop, reaped), %d "
      "runs each\n",
      runs);
  std::printf("%-40s median %8.2f ms  p99 %8.2f ms\n", "floor: launch to Ready",
              Ms(Median(launch_times)), Ms(P99(launch_times)));
  std::printf("%-40s median %8.2f ms  p99 %8.2f ms\n",
              "OneShotRunner, no spare", Ms(Median(cold_times)),
              Ms(P99(cold_times)));
  std::printf("%-40s median %8.2f ms  p99 %8.2f ms  (spares used %llu)\n",
              "OneShotRunner, warm spare", Ms(Median(warm_times)),
              Ms(P99(warm_times)),
              static_cast<unsigned long long>((*warm)->spares_used()));
  std::printf(
      "ratio one-shot/launch (median): no spare %.3fx, warm spare %.3fx\n",
      Ms(Median(cold_times)) / Ms(Median(launch_times)),
      Ms(Median(warm_times)) / Ms(Median(launch_times)));
  std::printf(
      "ratio one-shot/launch (p99):    no spare %.3fx, warm spare %.3fx\n",
      Ms(P99(cold_times)) / Ms(P99(launch_times)),
      Ms(P99(warm_times)) / Ms(P99(launch_times)));
  return 0;
}

int Crashes(Host& host, int n, int h, int rounds) {
  std::vector<absl::Duration> crash_times;
  std::vector<absl::Duration> clean_times;
  for (int round = 0; round < rounds; ++round) {
    std::optional<absl::Duration> clean = Pooled(host, h, n);
    std::optional<absl::Duration> crash = Pooled(host, h, n, 100);
    if (!clean.has_value() || !crash.has_value()) {
      std::fprintf(stderr, "crash round %d failed\n", round);
      return 1;
    }
    clean_times.push_back(*clean);
    crash_times.push_back(*crash);
  }
  auto per_second = [n](absl::Duration took) {
    return n / absl::ToDoubleSeconds(took);
  };
  std::printf(
      "== %d small tasks on a pool of %d helpers, a crash (abort) every 100 "
      "tasks vs none, median of %d rounds\n",
      n, h, rounds);
  std::printf("%-34s %12.0f tasks/s\n", "floor: no crash",
              per_second(Median(clean_times)));
  std::printf("%-34s %12.0f tasks/s  (%d helpers replaced a run)\n",
              "a crash every 100 tasks", per_second(Median(crash_times)),
              n / 100);
  std::printf(
      "ratio crash/none (time): %.3fx, median of the rounds' ratios: "
      "%.3fx\n",
      absl::ToDoubleSeconds(Median(crash_times)) /
          absl::ToDoubleSeconds(Median(clean_times)),
      MedianRatio(crash_times, clean_times));
  return 0;
}

int RealWork(Host& host, int n, int h, int rounds, int passes) {
  const std::vector<bench::BlurPgmRequest> images = MakeImages(16, passes);
  size_t input_bytes = 0;
  for (const auto& image : images) input_bytes += image.pgm().size();
  std::vector<absl::Duration> pool_times;
  std::vector<absl::Duration> loop_times;
  for (int round = 0; round < rounds; ++round) {
    size_t loop_bytes = 0;
    size_t pool_bytes = 0;
    std::optional<absl::Duration> loop = WorkInProcess(images, n, loop_bytes);
    std::optional<absl::Duration> pool =
        WorkPooled(host, h, images, n, pool_bytes);
    if (!loop.has_value() || !pool.has_value() || loop_bytes != pool_bytes) {
      std::fprintf(stderr, "work round %d failed\n", round);
      return 1;
    }
    loop_times.push_back(*loop);
    pool_times.push_back(*pool);
  }
  auto per_second = [n](absl::Duration took) {
    return n / absl::ToDoubleSeconds(took);
  };
  std::printf(
      "== real work: %d ASCII PGM images of %zu bytes on average (112x76), "
      "each decoded, blurred %d times and encoded; median of %d rounds\n",
      n, input_bytes / images.size(), passes, rounds);
  std::printf("%-34s %12.0f images/s\n", "floor: one in-process loop",
              per_second(Median(loop_times)));
  std::printf("%-34s %12.0f images/s\n",
              absl::StrCat("HelperPool of ", h, " helpers").c_str(),
              per_second(Median(pool_times)));
  std::printf(
      "speed-up pool vs loop: %.3fx, median of the rounds' ratios: "
      "%.3fx (above 1: the pool is faster)\n",
      absl::ToDoubleSeconds(Median(loop_times)) /
          absl::ToDoubleSeconds(Median(pool_times)),
      MedianRatio(loop_times, pool_times));
  return 0;
}

int Main(int argc, char** argv, const RoleRegistry& roles) {
  const CommandLine line = CommandLine::Parse(argc, argv);
  auto flag = [&](const char* name, int64_t fallback, int64_t max) {
    return line.Has(name) ? line.GetInt(name, 1, max)
                          : absl::StatusOr<int64_t>(fallback);
  };
  absl::StatusOr<int64_t> tasks = flag("tasks", 20000, 10000000);
  absl::StatusOr<int64_t> helpers = flag("helpers", 2, 64);
  absl::StatusOr<int64_t> rounds = flag("rounds", 5, 1000);
  absl::StatusOr<int64_t> oneshot_runs = flag("oneshot_runs", 200, 100000);
  absl::StatusOr<int64_t> crash_tasks = flag("crash_tasks", 5000, 10000000);
  absl::StatusOr<int64_t> work_tasks = flag("work_tasks", 2000, 10000000);
  absl::StatusOr<int64_t> passes = flag("blur_passes", 4, 64);
  for (const absl::Status& status :
       {tasks.status(), helpers.status(), rounds.status(),
        oneshot_runs.status(), crash_tasks.status(), work_tasks.status(),
        passes.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 2;
    }
  }
  const std::string only = line.Get("only").value_or("all");
  SetLogLevel(LogLevel::kError);
  Host::Options options;
  options.roles = &roles;
  // The crashes' reports are not what is measured here.
  options.forward_helper_output = false;
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  if (!host.ok()) {
    std::fprintf(stderr, "%s\n", host.status().ToString().c_str());
    return 1;
  }
  const int h = static_cast<int>(*helpers);
  const int r = static_cast<int>(*rounds);
  int failed = 0;
  if (only == "all" || only == "overhead") {
    failed |= Overhead(**host, static_cast<int>(*tasks), h, r);
  }
  if (only == "all" || only == "oneshot") {
    failed |= OneShotLatency(**host, static_cast<int>(*oneshot_runs));
  }
  if (only == "all" || only == "crash") {
    failed |= Crashes(**host, static_cast<int>(*crash_tasks), h, r);
  }
  if (only == "all" || only == "work") {
    failed |= RealWork(**host, static_cast<int>(*work_tasks), h, r,
                       static_cast<int>(*passes));
  }
  return failed;
}

}  // namespace
}  // namespace bulkhead

namespace bulkhead {
namespace {

int PgmBlurMain(HelperContext& context) {
  context.channel().Serve<bench::BlurPgmRequest, bench::BlurPgmResponse>(
      &BlurPgm);
  return context.Run();
}

}  // namespace
}  // namespace bulkhead

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!bulkhead::RegisterBuiltinRoles(roles).ok() ||
      !roles.Add("pgm-blur", &bulkhead::PgmBlurMain).ok()) {
    return 1;
  }
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;
  return bulkhead::Main(argc, argv, roles);
}
