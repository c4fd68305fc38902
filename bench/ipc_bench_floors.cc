#include "bench/ipc_bench_floors.h"

#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bench/ipc_bench.pb.h"

namespace bulkhead::bench {
namespace {

void PutLength(uint32_t length, char* p) { std::memcpy(p, &length, 4); }

uint32_t GetLength(const char* p) {
  uint32_t length;
  std::memcpy(&length, p, 4);
  return length;
}

// A length-prefixed frame stream on libuv, as a hand-written RPC layer would
// have it: one read buffer parsed in place, uv_try_write for sends.
class UvPeer {
 public:
  using FrameHandler = std::function<void(absl::string_view payload)>;

  UvPeer(int fd, FrameHandler on_frame) : on_frame_(std::move(on_frame)) {
    uv_loop_init(&loop_);
    uv_pipe_init(&loop_, &pipe_, 0);
    uv_pipe_open(&pipe_, fd);
    pipe_.data = this;
    buffer_.resize(256 * 1024);
    uv_read_start(stream(), OnAlloc, OnRead);
  }
  ~UvPeer() { uv_loop_close(&loop_); }

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&pipe_); }
  uv_loop_t* loop() { return &loop_; }
  void Run() { uv_run(&loop_, UV_RUN_DEFAULT); }
  void Close() {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&pipe_)))
      uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), nullptr);
  }

  // Writes `bytes` now, or (rarely, when the kernel is full) through libuv.
  void Send(absl::string_view bytes) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(bytes.data()),
                               static_cast<unsigned>(bytes.size()));
    int n = uv_try_write(stream(), &buf, 1);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) std::abort();
    if (static_cast<size_t>(n) == bytes.size()) return;
    struct Write {
      uv_write_t request;
      std::string data;
    };
    auto* write = new Write;
    write->data.assign(bytes.data() + n, bytes.size() - static_cast<size_t>(n));
    buf = uv_buf_init(write->data.data(),
                      static_cast<unsigned>(write->data.size()));
    uv_write(&write->request, stream(), &buf, 1,
             [](uv_write_t* r, int) { delete reinterpret_cast<Write*>(r); });
  }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
    auto* self = static_cast<UvPeer*>(handle->data);
    *buf =
        uv_buf_init(self->buffer_.data() + self->end_,
                    static_cast<unsigned>(self->buffer_.size() - self->end_));
  }
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
    auto* self = static_cast<UvPeer*>(stream->data);
    if (nread < 0) {
      self->Close();
      return;
    }
    self->end_ += static_cast<size_t>(nread);
    size_t begin = 0;
    while (self->end_ - begin >= 4) {
      const uint32_t length = GetLength(self->buffer_.data() + begin);
      if (self->end_ - begin - 4 < length) break;
      self->on_frame_(
          absl::string_view(self->buffer_.data() + begin + 4, length));
      begin += 4 + length;
    }
    std::memmove(self->buffer_.data(), self->buffer_.data() + begin,
                 self->end_ - begin);
    self->end_ -= begin;
  }

  FrameHandler on_frame_;
  uv_loop_t loop_;
  uv_pipe_t pipe_;
  std::vector<char> buffer_;
  size_t end_ = 0;
};

// `payload` as one frame in `out` (replacing its contents).
void FramePayload(const BenchPayload& payload, std::string* out) {
  const size_t size = payload.ByteSizeLong();
  out->resize(4 + size);
  PutLength(static_cast<uint32_t>(size), out->data());
  payload.SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(out->data() + 4));
}

}  // namespace

double SocketRoundTripUs(const Placement& placement, size_t frame_size,
                         int iterations) {
  std::vector<double> samples;
  RunWithPeer(
      placement,
      [&](int fd) {
        std::vector<char> frame(frame_size);
        for (int i = 0; i < kWarmup + iterations; ++i) {
          ReadAll(fd, frame.data(), frame.size());
          WriteAll(fd, frame.data(), frame.size());
        }
      },
      [&](int fd) {
        std::vector<char> frame(frame_size, 'x');
        for (int i = 0; i < kWarmup + iterations; ++i) {
          const uint64_t start = NowNanos();
          WriteAll(fd, frame.data(), frame.size());
          ReadAll(fd, frame.data(), frame.size());
          if (i >= kWarmup) samples.push_back((NowNanos() - start) / 1e3);
        }
      });
  return Median(samples);
}

double LibuvRoundTripUs(const Placement& placement, size_t payload_size,
                        bool protobuf, int iterations) {
  std::vector<double> samples;
  // Without protobuf the bytes are those of the protobuf frame, echoed as is.
  BenchPayload template_payload;
  template_payload.set_data(std::string(payload_size, 'x'));
  std::string template_frame;
  FramePayload(template_payload, &template_frame);
  RunWithPeer(
      placement,
      [&](int fd) {
        BenchPayload request;
        std::string out;
        UvPeer* self = nullptr;
        UvPeer peer(fd, [&](absl::string_view frame) {
          if (!protobuf) {
            out.resize(4 + frame.size());
            PutLength(static_cast<uint32_t>(frame.size()), out.data());
            std::memcpy(out.data() + 4, frame.data(), frame.size());
          } else {
            if (!request.ParseFromArray(frame.data(),
                                        static_cast<int>(frame.size())))
              std::abort();
            FramePayload(request, &out);
          }
          self->Send(out);
        });
        self = &peer;
        peer.Run();
      },
      [&](int fd) {
        BenchPayload reply;
        std::string out = template_frame;
        int done = 0;
        uint64_t start = 0;
        UvPeer* self = nullptr;
        auto send = [&] {
          start = NowNanos();
          if (protobuf) FramePayload(template_payload, &out);
          self->Send(out);
        };
        UvPeer peer(fd, [&](absl::string_view frame) {
          if (protobuf && !reply.ParseFromArray(frame.data(),
                                                static_cast<int>(frame.size())))
            std::abort();
          if (done++ >= kWarmup) samples.push_back((NowNanos() - start) / 1e3);
          if (done == kWarmup + iterations) {
            self->Close();
          } else {
            send();
          }
        });
        self = &peer;
        send();
        peer.Run();
      });
  return Median(samples);
}

double SocketStreamRate(const Placement& placement, size_t frame_size,
                        int count) {
  constexpr int kBatch = 256;
  double rate = 0;
  RunWithPeer(
      placement,
      [&](int fd) {
        std::vector<char> batch(frame_size * kBatch, 'x');
        for (int i = 0; i < kBatch; ++i)
          PutLength(static_cast<uint32_t>(frame_size - 4),
                    batch.data() + i * frame_size);
        char go;
        ReadAll(fd, &go, 1);
        for (int sent = 0; sent < count; sent += kBatch) {
          const int n = std::min(kBatch, count - sent);
          WriteAll(fd, batch.data(), static_cast<size_t>(n) * frame_size);
        }
      },
      [&](int fd) {
        std::vector<char> buffer(256 * 1024);
        const uint64_t start = NowNanos();
        WriteAll(fd, "g", 1);
        // The floor reads the bytes and parses nothing.
        const uint64_t total = static_cast<uint64_t>(count) * frame_size;
        for (uint64_t received = 0; received < total;) {
          const ssize_t n = read(fd, buffer.data(), buffer.size());
          if (n <= 0) std::abort();
          received += static_cast<uint64_t>(n);
        }
        rate = count / ((NowNanos() - start) / 1e9);
      });
  return rate;
}

double LibuvProtobufStreamRate(const Placement& placement, size_t payload_size,
                               int count) {
  constexpr int kBatch = 256;
  double rate = 0;
  RunWithPeer(
      placement,
      [&](int fd) {
        BenchPayload message;
        message.set_data(std::string(payload_size, 'x'));
        std::string batch, frame;
        int sent = 0;
        struct Writer {
          uv_write_t request;
          std::function<void()> next;
        } writer;
        UvPeer* self = nullptr;
        writer.next = [&] {
          if (sent >= count) return;
          batch.clear();
          for (int i = 0; i < kBatch && sent < count; ++i, ++sent) {
            FramePayload(message, &frame);  // Encoded per message.
            batch += frame;
          }
          uv_buf_t buf =
              uv_buf_init(batch.data(), static_cast<unsigned>(batch.size()));
          writer.request.data = &writer;
          uv_write(&writer.request, self->stream(), &buf, 1,
                   [](uv_write_t* request, int status) {
                     if (status != 0) return;
                     static_cast<Writer*>(request->data)->next();
                   });
        };
        UvPeer peer(fd, [&](absl::string_view) { writer.next(); });  // "go"
        self = &peer;
        peer.Run();
      },
      [&](int fd) {
        BenchPayload message;
        int received = 0;
        UvPeer* self = nullptr;
        const uint64_t start = NowNanos();
        UvPeer peer(fd, [&](absl::string_view frame) {
          if (!message.ParseFromArray(frame.data(),
                                      static_cast<int>(frame.size())))
            std::abort();
          if (++received == count) {
            rate = count / ((NowNanos() - start) / 1e9);
            self->Close();
          }
        });
        self = &peer;
        char go[4] = {0, 0, 0, 0};
        peer.Send(absl::string_view(go, 4));
        peer.Run();
      });
  return rate;
}

double MemcpyBytesPerSecond(size_t size, int count) {
  std::vector<char> from(size, 'x'), to(size);
  std::vector<double> rates;
  for (int round = 0; round < 5; ++round) {
    const uint64_t start = NowNanos();
    for (int i = 0; i < count; ++i) {
      std::memcpy(to.data(), from.data(), size);
      // Keeps the copy from being optimised away.
      asm volatile("" : : "r"(to.data()) : "memory");
    }
    rates.push_back(static_cast<double>(size) * count /
                    ((NowNanos() - start) / 1e9));
  }
  return Median(rates);
}

double SocketBulkBytesPerSecond(const Placement& placement, size_t size,
                                int count) {
  double rate = 0;
  RunWithPeer(
      placement,
      [&](int fd) {
        std::vector<char> payload(size, 'x');
        char go;
        ReadAll(fd, &go, 1);
        for (int i = 0; i < count; ++i)
          WriteAll(fd, payload.data(), payload.size());
      },
      [&](int fd) {
        std::vector<char> payload(size);
        const uint64_t start = NowNanos();
        WriteAll(fd, "g", 1);
        for (int i = 0; i < count; ++i)
          ReadAll(fd, payload.data(), payload.size());
        rate = static_cast<double>(size) * count / ((NowNanos() - start) / 1e9);
      });
  return rate;
}

}  // namespace bulkhead::bench
