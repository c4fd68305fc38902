#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "browser_host/crash_test/crash_test_internal.h"
#include "common/platform.h"

namespace bulkhead {

ScopedHandle ListenOnAbstractSocket(std::string& name) {
#if !defined(BULKHEAD_OS_LINUX)
  name.clear();  // Abstract sockets are Linux's: an empty target.
  return ScopedHandle();
#else
  name = absl::StrCat("bulkhead-crash-test-", ::getpid());
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, name.data(), name.size());
  const socklen_t size =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  ScopedHandle listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.is_valid() ||
      ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), size) !=
          0 ||
      ::listen(listener.get(), 8) != 0) {
    name.clear();  // Refused: an empty target.
    return ScopedHandle();
  }
  return listener;
#endif
}

bool CrashTestUnderWine() { return false; }

const char* CrashTestPlatformName() {
#if defined(BULKHEAD_OS_LINUX)
  return "linux";
#elif defined(__APPLE__)
  return "macos";
#else
  return "posix";
#endif
}

}  // namespace bulkhead
