#include "bench/ipc_bench_channel.h"

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "bench/ipc_bench.pb.h"
#include "common/platform_handle.h"
#include "ipc/channel.h"
#include "ipc/handle_transport.h"
#include "ipc/uv_loop.h"

namespace bulkhead::bench {
namespace {

// A started channel on `fd` and its own loop; `run` serves until the peer
// closes (or `channel->Close()`), then tears everything down.
class Endpoint {
 public:
  // `transport`: this side's end of a handle transport, or invalid.
  explicit Endpoint(int fd, ScopedHandle transport = ScopedHandle(),
                    ipc::Channel::Options options = {}) {
    uv_loop_init(&loop_);
    channel_ = ipc::Channel::Create(&loop_, options);
    if (transport.is_valid())
      channel_->SetHandleTransport(std::move(transport));
    Check(channel_->Open(ScopedHandle(fd)));
  }
  ~Endpoint() {
    channel_.reset();
    Check(ipc::DrainAndCloseLoop(&loop_));
  }
  ipc::Channel& channel() { return *channel_; }
  uv_loop_t* loop() { return &loop_; }

  void Start() {
    Check(channel_->Start(
        [](ipc::Channel::CloseReason reason, const absl::Status& detail) {
          if (reason != ipc::Channel::CloseReason::kPeerClosed &&
              reason != ipc::Channel::CloseReason::kClosedLocally) {
            std::fprintf(stderr, "channel closed: %s\n",
                         std::string(detail.message()).c_str());
            std::abort();
          }
        }));
  }
  // Runs until the channel closes (its handles then keep the loop no more).
  void Run() { uv_run(&loop_, UV_RUN_DEFAULT); }

  static void Check(const absl::Status& status) {
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      std::abort();
    }
  }

 private:
  uv_loop_t loop_;
  std::unique_ptr<ipc::Channel> channel_;
};

}  // namespace

double ChannelCallRoundTripUs(const Placement& placement, size_t payload_size,
                              int iterations) {
  std::vector<double> samples;
  RunWithPeer(
      placement,
      [&](int fd) {
        Endpoint endpoint(fd);
        endpoint.channel().Serve<BenchPayload, BenchPayload>(
            [](const BenchPayload& request) -> absl::StatusOr<BenchPayload> {
              return request;
            });
        endpoint.Start();
        endpoint.Run();
      },
      [&](int fd) {
        Endpoint endpoint(fd);
        endpoint.Start();
        BenchPayload request;
        request.set_data(std::string(payload_size, 'x'));
        int done = 0;
        uint64_t start = 0;
        std::function<void()> next = [&] {
          start = NowNanos();
          endpoint.channel().Call<BenchPayload, BenchPayload>(
              request, absl::Now() + absl::Seconds(10),
              [&](absl::StatusOr<BenchPayload> reply) {
                if (!reply.ok() || reply->data().size() != payload_size) {
                  std::fprintf(stderr, "call failed: %s\n",
                               reply.status().ToString().c_str());
                  std::abort();
                }
                if (done++ >= kWarmup)
                  samples.push_back((NowNanos() - start) / 1e3);
                if (done == kWarmup + iterations) {
                  endpoint.channel().Close();
                } else {
                  next();
                }
              });
        };
        next();
        endpoint.Run();
      });
  return Median(samples);
}

double ChannelStreamRate(const Placement& placement, size_t payload_size,
                         int count, bool shared_memory,
                         bool receiver_trusts_sender) {
  double rate = 0;
  HandlePair transport;
  if (shared_memory) {
    absl::StatusOr<HandlePair> pair = ipc::HandleTransport::CreatePair();
    Endpoint::Check(pair.status());
    transport = *std::move(pair);
  }
  RunWithPeer(
      placement,
      [&](int fd) {
        transport.second.reset();  // The parent's.
        Endpoint endpoint(fd, std::move(transport.first));
        BenchPayload message;
        message.set_data(std::string(payload_size, 'x'));
        int sent = 0;
        // Sends while the queue takes more, a burst per loop turn; a full
        // queue stops the burst until OnDrained.
        uv_idle_t sender;
        uv_idle_init(endpoint.loop(), &sender);
        auto burst = [&] {
          for (int i = 0; i < 4096 && sent < count; ++i) {
            const absl::Status status = endpoint.channel().Send(message);
            if (absl::IsResourceExhausted(status)) {
              uv_idle_stop(&sender);
              return;
            }
            Endpoint::Check(status);
            ++sent;
          }
          if (sent == count) uv_idle_stop(&sender);
        };
        sender.data = &burst;
        auto start_sending = [&] {
          uv_idle_start(&sender, [](uv_idle_t* idle) {
            (*static_cast<decltype(burst)*>(idle->data))();
          });
        };
        endpoint.channel().OnDrained(start_sending);
        endpoint.channel().On<BenchPayload>(
            [&](const BenchPayload&) { start_sending(); });  // "go"
        endpoint.Start();
        endpoint.Run();
        uv_close(reinterpret_cast<uv_handle_t*>(&sender), nullptr);
        uv_run(endpoint.loop(), UV_RUN_NOWAIT);  // Before `sender` goes.
      },
      [&](int fd) {
        transport.first.reset();  // The child's.
        Endpoint endpoint(fd, std::move(transport.second),
                          {.trust_peer_shared_memory = receiver_trusts_sender});
        int received = 0;
        uint64_t start = 0;
        endpoint.channel().On<BenchPayload>([&](const BenchPayload& message) {
          if (message.data().size() != payload_size) std::abort();
          if (++received == count) {
            rate = count / ((NowNanos() - start) / 1e9);
            endpoint.channel().Close();
          }
        });
        endpoint.Start();
        start = NowNanos();
        Endpoint::Check(endpoint.channel().Send(BenchPayload()));
        endpoint.Run();
      });
  return rate;
}

}  // namespace bulkhead::bench
