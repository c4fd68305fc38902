// Median and 99th percentile of a bench's samples, in milliseconds: what
// launch_bench and scale_bench print beside their floors.
#ifndef BULKHEAD_BENCH_LATENCY_STATS_H_
#define BULKHEAD_BENCH_LATENCY_STATS_H_

#include <algorithm>
#include <cstddef>
#include <vector>

#include "absl/time/time.h"

namespace bulkhead::bench {

struct Stats {
  double median_ms = 0;
  double p99_ms = 0;
  size_t samples = 0;
};

// All zero for no samples.
inline Stats Summarize(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  Stats stats;
  stats.samples = samples.size();
  if (samples.empty()) return stats;
  stats.median_ms = absl::ToDoubleMilliseconds(samples[samples.size() / 2]);
  stats.p99_ms = absl::ToDoubleMilliseconds(
      samples[std::min(samples.size() - 1, samples.size() * 99 / 100)]);
  return stats;
}

}  // namespace bulkhead::bench

#endif  // BULKHEAD_BENCH_LATENCY_STATS_H_
