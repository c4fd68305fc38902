#include "bench/ipc_bench_common.h"

#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/ipc_bench.pb.h"
#include "ipc/envelope_codec.h"

namespace bulkhead::bench {

void PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    std::perror("sched_setaffinity");
    std::abort();
  }
}

void SocketPair(int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::perror("socketpair");
    std::abort();
  }
}

void RunWithPeer(const Placement& placement,
                 const std::function<void(int fd)>& child,
                 const std::function<void(int fd)>& parent) {
  int fds[2];
  SocketPair(fds);
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::abort();
  }
  if (pid == 0) {
    close(fds[0]);
    PinToCpu(placement.child_cpu);
    child(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  parent(fds[0]);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "benchmark peer failed (status %d)\n", status);
    std::abort();
  }
}

void WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::perror("write");
      std::abort();
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void ReadAll(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr, "read: %s\n", n == 0 ? "end of stream" : "error");
      std::abort();
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

uint64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

double Median(std::vector<double> samples) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

size_t ChannelFrameSize(size_t payload_size, bool is_call) {
  BenchPayload payload;
  payload.set_data(std::string(payload_size, 'x'));
  ipc::OutgoingEnvelope envelope;
  envelope.seq = 1000;
  envelope.call_id = is_call ? 1000 : 0;
  envelope.message = &payload;
  std::string frame;
  if (!ipc::AppendEnvelopeFrame(envelope, UINT32_MAX, &frame).ok())
    std::abort();
  return frame.size();
}

}  // namespace bulkhead::bench
