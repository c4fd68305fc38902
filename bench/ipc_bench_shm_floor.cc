// The shared-memory floor: a memfd ring of 4 slots, indices over a socket.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bench/ipc_bench_floors.h"

namespace bulkhead::bench {

double MemfdRingBytesPerSecond(const Placement& placement, size_t size,
                               int count) {
  constexpr uint64_t kSlots = 4;
  const int memfd = memfd_create("bench-ring", MFD_CLOEXEC);
  if (memfd < 0 || ftruncate(memfd, static_cast<off_t>(size * kSlots)) != 0) {
    std::perror("memfd ring");
    std::abort();
  }
  // Mapped before the fork: parent and child share the pages.
  void* mapped = mmap(nullptr, size * kSlots, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_POPULATE, memfd, 0);
  close(memfd);
  if (mapped == MAP_FAILED) {
    std::perror("mmap");
    std::abort();
  }
  char* const ring = static_cast<char*>(mapped);
  double rate = 0;
  RunWithPeer(
      placement,
      [&](int fd) {  // The writer.
        std::vector<char> payload(size, 'x');
        char go;
        ReadAll(fd, &go, 1);
        uint64_t in_flight = 0;
        for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
          if (in_flight == kSlots) {  // Wait for a slot to come back.
            uint64_t freed;
            ReadAll(fd, &freed, sizeof(freed));
            --in_flight;
          }
          std::memcpy(ring + (i % kSlots) * size, payload.data(), size);
          const uint64_t slot = i % kSlots;
          WriteAll(fd, &slot, sizeof(slot));
          ++in_flight;
        }
        for (; in_flight > 0; --in_flight) {
          uint64_t freed;
          ReadAll(fd, &freed, sizeof(freed));
        }
      },
      [&](int fd) {  // The reader.
        std::vector<char> payload(size);
        const uint64_t start = NowNanos();
        WriteAll(fd, "g", 1);
        for (int i = 0; i < count; ++i) {
          uint64_t slot;
          ReadAll(fd, &slot, sizeof(slot));
          std::memcpy(payload.data(), ring + (slot % kSlots) * size, size);
          WriteAll(fd, &slot, sizeof(slot));
        }
        rate = static_cast<double>(size) * count / ((NowNanos() - start) / 1e9);
      });
  munmap(mapped, size * kSlots);
  return rate;
}

}  // namespace bulkhead::bench
