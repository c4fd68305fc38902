// The channel beside its floors, in one run, for each placement of the two
// processes (`same`: both pinned to cpu 0; `split`: cpu 0 and cpu 1):
//   call_rtt      Call<BenchPayload> with 64 bytes, echoed by Serve, vs
//                 libuv+protobuf ping-pong (the target floor), raw libuv
//                 ping-pong of the same bytes, blocking socketpair ping-pong,
//                 and Node's child_process.fork + process.send.
//   stream_64     one-way Send of 64-byte messages vs a libuv writer that
//                 batches protobuf frames (parsed by the reader), a socketpair
//                 writer that batches raw frames, and Node's process.send.
//   bulk_1mib     one-way Send of 1 MiB messages through the automatic
//                 shared-memory path, to a receiver that copies each body out
//                 (a host) and to one that reads it in place (a helper,
//                 trusting its host), vs a raw memfd ring (the floor), the
//                 channel's socket path, a bare socketpair, and memcpy.
// Prints each figure's medians beside its floors, then one summary line per
// figure and floor: `name  value  unit  ratio-to-floor  floor`.
//
//   bench/ipc_bench [--placements=same,split] [--quick]
//   [--only=rtt|stream|bulk]
//                   [--node-script=bench/node/fork_ipc.js]
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/ipc_bench_channel.h"
#include "bench/ipc_bench_common.h"
#include "bench/ipc_bench_floors.h"

namespace bulkhead::bench {
namespace {

struct Figure {
  std::string name;
  double value;
  const char* unit;
  // For rates, higher is better: the ratio is value / floor either way.
  std::string floor_name;
  double floor;
};

// Node's figure, or a negative value when Node is missing or fails.
double RunNode(const std::string& script, const Placement& placement,
               const char* mode, int count) {
  if (script.empty() || access(script.c_str(), R_OK) != 0) return -1;
  int out[2];
  if (pipe(out) != 0) return -1;
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    PinToCpu(placement.parent_cpu);
    // Node's start-up triples with it, and no certificate is needed here.
    unsetenv("NODE_EXTRA_CA_CERTS");
    const std::string n = std::to_string(count);
    const std::string cpu = placement.child_cpu == placement.parent_cpu
                                ? "-1"
                                : std::to_string(placement.child_cpu);
    execlp("node", "node", script.c_str(), mode, n.c_str(), cpu.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string output;
  char buffer[256];
  ssize_t got;
  while ((got = read(out[0], buffer, sizeof(buffer))) > 0)
    output.append(buffer, static_cast<size_t>(got));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  std::vector<std::string> words =
      absl::StrSplit(output, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  double value;
  if (words.size() < 2 || !absl::SimpleAtod(words[1], &value)) return -1;
  return value;
}

void PrintRow(const char* what, double value, const char* unit, double base) {
  if (value < 0) {
    std::printf("  %-44s %12s\n", what, "(not run)");
    return;
  }
  std::printf("  %-44s %12.2f %-6s %6.2fx\n", what, value, unit,
              base > 0 ? value / base : 0);
}

}  // namespace

int Main(int argc, char** argv) {
  std::vector<Placement> placements = {{"same", 0, 0}, {"split", 0, 1}};
  bool quick = false;
  std::string only;  // "rtt", "stream" or "bulk": just that figure.
  std::string node_script = "bench/node/fork_ipc.js";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else if (absl::StartsWith(arg, "--only=")) {
      only = arg.substr(arg.find('=') + 1);
    } else if (absl::StartsWith(arg, "--node-script=")) {
      node_script = arg.substr(arg.find('=') + 1);
    } else if (arg == "--placements=same") {
      placements.resize(1);
    } else if (arg == "--placements=split") {
      placements.erase(placements.begin());
    } else if (arg != "--placements=same,split") {
      std::fprintf(stderr,
                   "usage: %s [--placements=same,split] [--quick] "
                   "[--node-script=PATH]\n",
                   argv[0]);
      return 2;
    }
  }
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2 && placements.back().child_cpu == 1)
    placements.pop_back();
  const int rtt_iterations = quick ? 200 : 10000;
  const int stream_count = quick ? 20000 : 2'000'000;
  const int bulk_count = quick ? 20 : 1000;
  constexpr size_t kSmall = 64;
  constexpr size_t kBulk = 1 << 20;
  const size_t call_frame = ChannelFrameSize(kSmall, /*is_call=*/true);
  const size_t stream_frame = ChannelFrameSize(kSmall, /*is_call=*/false);

  std::vector<Figure> summary;
  for (const Placement& placement : placements) {
    PinToCpu(placement.parent_cpu);
    const std::string p = placement.name;
    std::printf("\n== placement %s: host on cpu %d, peer on cpu %d ==\n",
                placement.name, placement.parent_cpu, placement.child_cpu);

    if (only.empty() || only == "rtt") {
      std::printf("round trip, 64-byte payload (%zu-byte frames), median:\n",
                  call_frame);
      const double call =
          ChannelCallRoundTripUs(placement, kSmall, rtt_iterations);
      const double uv_pb = LibuvRoundTripUs(placement, kSmall,
                                            /*protobuf=*/true, rtt_iterations);
      const double uv_raw =
          LibuvRoundTripUs(placement, call_frame - 6,
                           /*protobuf=*/false, rtt_iterations);
      const double sock =
          SocketRoundTripUs(placement, call_frame, rtt_iterations);
      const double node =
          RunNode(node_script, placement, "rtt", quick ? 200 : 5000);
      PrintRow("Channel Call -> Serve", call, "us", uv_pb);
      PrintRow("libuv + protobuf ping-pong (floor)", uv_pb, "us", uv_pb);
      PrintRow("libuv ping-pong, same bytes", uv_raw, "us", uv_pb);
      PrintRow("socketpair blocking ping-pong", sock, "us", uv_pb);
      PrintRow("Node fork + process.send", node, "us", uv_pb);
      summary.push_back(
          {"call_rtt." + p, call, "us", "libuv_protobuf_rtt", uv_pb});
      summary.push_back({"call_rtt." + p, call, "us", "libuv_raw_rtt", uv_raw});
      summary.push_back({"call_rtt." + p, call, "us", "socketpair_rtt", sock});
      if (node > 0)
        summary.push_back({"call_rtt." + p, call, "us", "node_fork_rtt", node});
    }
    if (only.empty() || only == "stream") {
      std::printf("one-way 64-byte messages (%zu-byte frames), msgs/s:\n",
                  stream_frame);
      std::vector<double> channel_rates, pb_rates;
      for (int round = 0; round < 3; ++round) {
        channel_rates.push_back(
            ChannelStreamRate(placement, kSmall, stream_count));
        pb_rates.push_back(
            LibuvProtobufStreamRate(placement, kSmall, stream_count));
      }
      const double stream = Median(channel_rates);
      const double stream_pb = Median(pb_rates);
      const double stream_raw =
          SocketStreamRate(placement, stream_frame, stream_count * 5);
      const double node_stream =
          RunNode(node_script, placement, "stream", quick ? 2000 : 200000);
      PrintRow("Channel Send -> On", stream, "msg/s", stream_pb);
      PrintRow("libuv writer, batched protobuf (floor)", stream_pb, "msg/s",
               stream_pb);
      PrintRow("socketpair writer, 256 frames a write", stream_raw, "msg/s",
               stream_pb);
      PrintRow("Node fork + process.send", node_stream, "msg/s", stream_pb);
      summary.push_back({"stream_64." + p, stream, "msg/s",
                         "libuv_protobuf_batched", stream_pb});
      summary.push_back({"stream_64." + p, stream, "msg/s",
                         "socketpair_batched", stream_raw});
      if (node_stream > 0) {
        summary.push_back({"stream_64." + p, stream, "msg/s",
                           "node_fork_stream", node_stream});
      }
    }
    if (only.empty() || only == "bulk") {
      std::printf("one-way 1 MiB messages, GB/s:\n");
      const double shm = ChannelStreamRate(placement, kBulk, bulk_count,
                                           /*shared_memory=*/true) *
                         kBulk / 1e9;
      const double shm_in_place =
          ChannelStreamRate(placement, kBulk, bulk_count,
                            /*shared_memory=*/true,
                            /*receiver_trusts_sender=*/true) *
          kBulk / 1e9;
      const double ring =
          MemfdRingBytesPerSecond(placement, kBulk, bulk_count * 2) / 1e9;
      const double bulk =
          ChannelStreamRate(placement, kBulk, bulk_count) * kBulk / 1e9;
      const double bulk_sock =
          SocketBulkBytesPerSecond(placement, kBulk, bulk_count * 2) / 1e9;
      const double copy = MemcpyBytesPerSecond(kBulk, quick ? 100 : 5000) / 1e9;
      PrintRow("Channel Send -> On (shared memory)", shm, "GB/s", ring);
      PrintRow("  ... to a helper (read in place)", shm_in_place, "GB/s", ring);
      PrintRow("memfd ring, copy in + copy out (floor)", ring, "GB/s", ring);
      PrintRow("Channel Send -> On (socket path)", bulk, "GB/s", ring);
      PrintRow("socketpair, 1 MiB writes", bulk_sock, "GB/s", ring);
      PrintRow("memcpy of 1 MiB", copy, "GB/s", ring);
      summary.push_back(
          {"bulk_1mib_shm." + p, shm, "GB/s", "memfd_ring_1mib", ring});
      summary.push_back(
          {"bulk_1mib_shm." + p, shm, "GB/s", "channel_socket_1mib", bulk});
      summary.push_back(
          {"bulk_1mib_shm." + p, shm, "GB/s", "socketpair_1mib", bulk_sock});
      summary.push_back({"bulk_1mib_shm_to_helper." + p, shm_in_place, "GB/s",
                         "memfd_ring_1mib", ring});
      summary.push_back({"bulk_1mib_shm_to_helper." + p, shm_in_place, "GB/s",
                         "channel_socket_1mib", bulk});
      summary.push_back(
          {"bulk_1mib." + p, bulk, "GB/s", "socketpair_1mib", bulk_sock});
      summary.push_back({"bulk_1mib." + p, bulk, "GB/s", "memcpy_1mib", copy});
    }
  }

  std::printf("\n== summary: name  value  unit  ratio-to-floor  floor ==\n");
  for (const Figure& figure : summary) {
    std::printf("%-29s %12.2f  %-5s  %6.3f  %s\n", figure.name.c_str(),
                figure.value, figure.unit, figure.value / figure.floor,
                figure.floor_name.c_str());
  }
  return 0;
}

}  // namespace bulkhead::bench

int main(int argc, char** argv) { return bulkhead::bench::Main(argc, argv); }
