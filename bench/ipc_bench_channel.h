// The figures of the real thing: `ipc::Channel` between two processes, each
// with its own loop, placed as asked.
#ifndef BULKHEAD_BENCH_IPC_BENCH_CHANNEL_H_
#define BULKHEAD_BENCH_IPC_BENCH_CHANNEL_H_

#include <cstddef>

#include "bench/ipc_bench_common.h"

namespace bulkhead::bench {

// Round trip of `Call<BenchPayload, BenchPayload>` with a `payload_size`-byte
// payload against a `Serve` that echoes it: median microseconds.
double ChannelCallRoundTripUs(const Placement& placement, size_t payload_size,
                              int iterations);

// One-way `Send` of `count` BenchPayload messages of `payload_size` bytes,
// as fast as backpressure allows (RESOURCE_EXHAUSTED, then OnDrained), to an
// `On` handler: messages per second.
// With `shared_memory`, the channels have their handle transport, so messages
// over 64 KiB go through shared memory; without, through the socket. With
// `receiver_trusts_sender` too, the receiver reads those in place, as a helper
// reads its host's (Channel::Options::trust_peer_shared_memory).
double ChannelStreamRate(const Placement& placement, size_t payload_size,
                         int count, bool shared_memory = false,
                         bool receiver_trusts_sender = false);

}  // namespace bulkhead::bench

#endif  // BULKHEAD_BENCH_IPC_BENCH_CHANNEL_H_
