// What the fuzzers that pass file descriptors share: a hostile peer's raw
// sendmsg (any number of fds, any bytes, unlike the project's own senders),
// and a count of this process's open fds to catch a leak.
#ifndef BULKHEAD_FUZZ_FUZZ_FDS_H_
#define BULKHEAD_FUZZ_FUZZ_FDS_H_

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace bulkhead::fuzz {

// The kernel's SCM_MAX_FD.
inline constexpr size_t kMaxFdsPerMessage = 253;

// The fd SendRaw sends copies of, opened once.
inline int DevNull() {
  static const int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (dev_null < 0) std::abort();
  return dev_null;
}

// Sends `size` bytes with `fd_count` duplicates of /dev/null beside them;
// whatever the kernel refuses is simply not sent.
inline void SendRaw(int socket, const void* bytes, size_t size,
                    size_t fd_count) {
  const int dev_null = DevNull();
  if (fd_count > kMaxFdsPerMessage) fd_count = kMaxFdsPerMessage;
  std::vector<int> fds(fd_count, dev_null);
  char zero = 0;
  iovec data = {size == 0 ? &zero : const_cast<void*>(bytes), size};
  msghdr message = {};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage));
  if (fd_count != 0) {
    message.msg_control = control.data();
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fd_count);
  }
  (void)::sendmsg(socket, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
}

// This process's open fds, to compare before and after an input.
inline size_t OpenFds() {
  (void)DevNull();  // Not counted as a leak of the first input.
  DIR* directory = ::opendir("/proc/self/fd");
  if (directory == nullptr) std::abort();
  size_t count = 0;
  while (::readdir(directory) != nullptr) ++count;
  ::closedir(directory);
  return count;
}

}  // namespace bulkhead::fuzz

#endif  // BULKHEAD_FUZZ_FUZZ_FDS_H_
