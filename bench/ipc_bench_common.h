// Shared by the IPC benchmark's parts: process placement (both processes on
// one core, or one each on two cores), forking a peer process, and samples.
// POSIX only, like every benchmark here.
#ifndef BULKHEAD_BENCH_IPC_BENCH_COMMON_H_
#define BULKHEAD_BENCH_IPC_BENCH_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bulkhead::bench {

// Round trips run and discarded before the timed ones, floors and channel
// alike.
inline constexpr int kWarmup = 200;

// Where the two processes of a figure run.
struct Placement {
  const char* name;  // "same" or "split".
  int parent_cpu;
  int child_cpu;
};

// Pins the calling process (and the children it forks from now on) to `cpu`.
void PinToCpu(int cpu);

// A connected AF_UNIX stream socketpair; aborts if the OS refuses.
void SocketPair(int fds[2]);

// Forks a peer that pins itself to `placement.child_cpu`, runs
// `child(child_fd)` and exits; the parent runs `parent(parent_fd)` on its
// own end, then reaps the peer (a peer that fails aborts the benchmark).
void RunWithPeer(const Placement& placement,
                 const std::function<void(int fd)>& child,
                 const std::function<void(int fd)>& parent);

// Blocking full-buffer I/O on a socket; abort on error or end of stream.
void WriteAll(int fd, const void* data, size_t size);
void ReadAll(int fd, void* data, size_t size);

// Monotonic nanoseconds.
uint64_t NowNanos();

double Median(std::vector<double> samples);

// The frame the channel sends for a call or message carrying `payload_size`
// bytes of BenchPayload, so that the floors move the same bytes.
size_t ChannelFrameSize(size_t payload_size, bool is_call);

}  // namespace bulkhead::bench

#endif  // BULKHEAD_BENCH_IPC_BENCH_COMMON_H_
