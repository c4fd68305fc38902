// The floors the channel is measured against, each between two real
// processes placed as asked: what the kernel and libuv allow without
// Bulkhead, and the bandwidth of memory itself.
#ifndef BULKHEAD_BENCH_IPC_BENCH_FLOORS_H_
#define BULKHEAD_BENCH_IPC_BENCH_FLOORS_H_

#include <cstddef>

#include "bench/ipc_bench_common.h"

namespace bulkhead::bench {

// Round trip of a `frame_size`-byte frame over a socketpair with blocking
// read/write on both sides: median microseconds.
double SocketRoundTripUs(const Placement& placement, size_t frame_size,
                         int iterations);

// The same over libuv on both sides (length-prefixed frames, uv_try_write).
// With `protobuf`, each side parses the BenchPayload it gets and serializes
// the one it sends, as an RPC layer must: median microseconds.
double LibuvRoundTripUs(const Placement& placement, size_t payload_size,
                        bool protobuf, int iterations);

// One-way stream of `count` frames of `frame_size` bytes, written 256 to a
// write() on a socketpair and read with large reads: frames per second.
double SocketStreamRate(const Placement& placement, size_t frame_size,
                        int count);

// One-way stream of `count` BenchPayload messages of `payload_size` bytes:
// the writer serializes 256 into each uv_write, the reader parses each one
// (libuv both sides): messages per second.
double LibuvProtobufStreamRate(const Placement& placement, size_t payload_size,
                               int count);

// Bytes per second of memcpy between two `size`-byte buffers.
double MemcpyBytesPerSecond(size_t size, int count);

// `count` payloads of `size` bytes over a socketpair, blocking write/read:
// bytes per second.
double SocketBulkBytesPerSecond(const Placement& placement, size_t size,
                                int count);

// `count` payloads of `size` bytes through a shared memfd ring of 4 slots
// (ipc_bench_shm_floor.cc): the writer copies each into a free slot and sends
// its 8-byte index over a socketpair; the reader copies it out into a buffer
// of its own (as any receiver that keeps the bytes must) and sends the index
// back. Bytes per second: the floor of any shared-memory path.
double MemfdRingBytesPerSecond(const Placement& placement, size_t size,
                               int count);

}  // namespace bulkhead::bench

#endif  // BULKHEAD_BENCH_IPC_BENCH_FLOORS_H_
