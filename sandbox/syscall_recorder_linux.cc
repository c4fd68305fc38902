#include "sandbox/syscall_recorder_linux.h"

#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bulkhead::sandbox {
void SyscallRecorder::Prepare() {
  std::thread([this] { Serve(); }).detach();
  // The thread's start (and a sanitizer runtime's bookkeeping of it) takes
  // locks the filtered thread could hold later: let it get to its loop first.
  while (!serving_.load(std::memory_order_acquire)) std::this_thread::yield();
}

void SyscallRecorder::Attach(int listener) {
  // Relaxed: the number is all that passes, and ThreadSanitizer makes an
  // acquire/release pair take a lock, whose futex wake would wait here.
  listener_.store(listener < 0 ? -2 : listener, std::memory_order_relaxed);
}

void SyscallRecorder::Serve() {
  // Attach comes from a thread that cannot wake anybody (a futex wake would
  // itself wait for this thread), so poll for it; this thread is unfiltered
  // and may yield.
  thread_id_.store(static_cast<int>(::gettid()), std::memory_order_relaxed);
  serving_.store(true, std::memory_order_release);
  int listener;
  while ((listener = listener_.load(std::memory_order_relaxed)) == -1) {
    std::this_thread::yield();
  }
  if (listener < 0) return;  // Cancelled: no filter was installed.
  for (;;) {
    seccomp_notif request;
    std::memset(&request, 0, sizeof(request));
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      return;  // The listener is gone: nothing left to serve.
    }
    const int number = request.data.nr;
    if (number >= 0 && number < kMaxNumber) {
      seen_[number / 64].fetch_or(uint64_t{1} << (number % 64),
                                  std::memory_order_relaxed);
    }
    seccomp_notif_resp response;
    std::memset(&response, 0, sizeof(response));
    response.id = request.id;
    response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    // ENOENT: the caller was interrupted meanwhile; nothing to answer.
    ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
  }
}

std::vector<int> SyscallRecorder::Recorded() const {
  std::vector<int> numbers;
  for (int word = 0; word < kMaxNumber / 64; ++word) {
    const uint64_t bits = seen_[word].load(std::memory_order_relaxed);
    for (int bit = 0; bit < 64; ++bit) {
      if ((bits >> bit) & 1) numbers.push_back(word * 64 + bit);
    }
  }
  return numbers;
}

}  // namespace bulkhead::sandbox
