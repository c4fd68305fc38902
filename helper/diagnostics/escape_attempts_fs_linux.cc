// The escape attempts on files and the network.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "helper/diagnostics/escape_attempts.h"
#include "helper/diagnostics/escape_probe_linux.h"

namespace bulkhead::escape_internal {
namespace {

// Opens `path` and reads it to the end (at most 1 MiB); returns the size.
long ReadWholeFile(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return -1;
  char buffer[4096];
  long total = 0;
  while (total < (1 << 20)) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) {
      const int error = errno;
      ::close(fd);
      errno = error;
      return -1;
    }
    if (n == 0) break;
    total += n;
  }
  ::close(fd);
  return total;
}

// Lists the directory `path`; returns its entries other than "." and "..".
long CountEntries(const char* path) {
  DIR* dir = ::opendir(path);
  if (dir == nullptr) return -1;
  long count = 0;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (std::strcmp(entry->d_name, ".") != 0 &&
        std::strcmp(entry->d_name, "..") != 0) {
      ++count;
    }
  }
  const int error = errno;
  ::closedir(dir);
  if (error != 0) {
    errno = error;
    return -1;
  }
  return count;
}

// Creates `path` exclusively and, if that worked, removes it again.
long CreateAndRemove(const char* path) {
  const int fd = ::open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd == -1) return -1;
  ::close(fd);
  ::unlink(path);
  return 0;
}

long OpenAndClose(const char* path, int flags) {
  const int fd = ::open(path, flags | O_CLOEXEC);
  if (fd == -1) return -1;
  ::close(fd);
  return 0;
}

std::string ProcPath(int64_t pid, const char* leaf) {
  return absl::StrCat("/proc/", pid, "/", leaf);
}

// Connects a new socket of `family`/`type` to `address`; closes it again.
long ConnectOnce(int family, int type, const sockaddr* address,
                 socklen_t size) {
  const int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
  if (fd == -1) return -1;
  // connect() honours the send timeout: a filtered port cannot hang us.
  const timeval timeout = {5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  const int rc = ::connect(fd, address, size);
  const int error = errno;
  ::close(fd);
  errno = error;
  return rc;
}

EscapeAttempt SocketAttempt(std::string name, int family, int type,
                            int protocol) {
  const SyscallResult result = Try([&] {
    const int fd = ::socket(family, type | SOCK_CLOEXEC, protocol);
    if (fd != -1) ::close(fd);
    return long{fd};
  });
  return Plain(std::move(name), result, "socket created");
}

void AppendTcpAttempts(int port, std::vector<EscapeAttempt>& out) {
  const SyscallResult created = Try([] {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd != -1) ::close(fd);
    return long{fd};
  });
  out.push_back(Plain("socket-inet", created, "socket created"));
  if (port <= 0 || port > 65535) {
    out.push_back(Skipped("connect-tcp-localhost", "no tcp_port"));
    return;
  }
  if (created.value == -1 || created.trapped != -1) {
    out.push_back({"connect-tcp-localhost", true,
                   absl::StrCat("not reached: socket() failed with ",
                                FailureText(created))});
    return;
  }
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const SyscallResult connected = Try([&] {
    return ConnectOnce(AF_INET, SOCK_STREAM,
                       reinterpret_cast<const sockaddr*>(&address),
                       sizeof(address));
  });
  out.push_back(Plain("connect-tcp-localhost", connected,
                      absl::StrCat("connected to 127.0.0.1:", port)));
}

EscapeAttempt UnixSocketAttempt(const std::string& path) {
  const char* name = "connect-unix-socket";
  if (path.empty()) return Skipped(name, "no unix_socket_path");
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return Skipped(name, "unix_socket_path is too long for sockaddr_un");
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  SyscallResult result;
  // The listener's type is unknown: a mismatch fails with EPROTOTYPE.
  for (const int type : {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM}) {
    result = Try([&] {
      return ConnectOnce(AF_UNIX, type,
                         reinterpret_cast<const sockaddr*>(&address),
                         sizeof(address));
    });
    if (result.value != -1 || result.error != EPROTOTYPE) break;
  }
  return Plain(name, result, absl::StrCat("connected to ", path));
}

// The host's services on abstract sockets (X, D-Bus) share its network
// namespace, not its filesystem: neither the chroot nor Landlock's filesystem
// rules stand in the way, only the socket's family and Landlock's scoping.
EscapeAttempt AbstractSocketAttempt(const std::string& name_in_host) {
  const char* name = "connect-abstract-socket";
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  if (name_in_host.empty()) return Skipped(name, "no abstract_socket_name");
  if (name_in_host.size() + 1 >= sizeof(address.sun_path)) {
    return Skipped(name, "abstract_socket_name is too long for sockaddr_un");
  }
  std::memcpy(address.sun_path + 1, name_in_host.data(), name_in_host.size());
  const socklen_t size = static_cast<socklen_t>(
      offsetof(sockaddr_un, sun_path) + 1 + name_in_host.size());
  SyscallResult result;
  for (const int type : {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM}) {
    result = Try([&] {
      return ConnectOnce(AF_UNIX, type,
                         reinterpret_cast<const sockaddr*>(&address), size);
    });
    if (result.value != -1 || result.error != EPROTOTYPE) break;
  }
  return Plain(name, result, absl::StrCat("connected to @", name_in_host));
}

}  // namespace

void AppendFilesystemAttempts(const EscapeTargets& targets,
                              std::vector<EscapeAttempt>& out) {
  SyscallResult result = Try([] { return ReadWholeFile("/etc/passwd"); });
  out.push_back(Plain("open-etc-passwd", result,
                      absl::StrCat("read ", result.value, " bytes")));

  if (targets.home_dir.empty()) {
    out.push_back(Skipped("list-home-dir", "no home_dir"));
  } else {
    result = Try([&] { return CountEntries(targets.home_dir.c_str()); });
    out.push_back(
        Plain("list-home-dir", result, absl::StrCat(result.value, " entries")));
  }

  // Unique names: a leftover from an earlier run must not look like a denial.
  const std::string leaf = absl::StrCat("bulkhead-escape-", ::getpid());
  const std::pair<const char*, std::string> files[] = {
      {"create-file-cwd", leaf + "-cwd"},
      {"create-file-tmp", absl::StrCat("/tmp/", leaf, "-tmp")}};
  for (const auto& file : files) {
    // Not a structured binding: Clang < 16 cannot capture one.
    const std::string& path = file.second;
    result = Try([&] { return CreateAndRemove(path.c_str()); });
    out.push_back(Plain(file.first, result,
                        absl::StrCat("created (and removed) ", path)));
  }

  // An empty `/` is the sandbox's chroot: as good as a denial.
  result = Try([] { return CountEntries("/"); });
  if (result.value == 0 && result.trapped == -1) {
    out.push_back({"list-root", true, "empty root: 0 entries"});
  } else {
    out.push_back(
        Plain("list-root", result, absl::StrCat(result.value, " entries")));
  }

  result = Try([] { return OpenAndClose("/dev/kmsg", O_RDONLY | O_NONBLOCK); });
  out.push_back(Plain("open-dev-kmsg", result, "opened /dev/kmsg"));

  if (targets.host_pid <= 0) {
    for (const char* name :
         {"open-host-mem", "read-host-environ", "list-host-root"}) {
      out.push_back(Skipped(name, "no host_pid"));
    }
  } else {
    const std::string mem = ProcPath(targets.host_pid, "mem");
    result = Try([&] { return OpenAndClose(mem.c_str(), O_RDONLY); });
    out.push_back(Plain("open-host-mem", result, absl::StrCat("opened ", mem)));
    const std::string environ = ProcPath(targets.host_pid, "environ");
    result = Try([&] { return ReadWholeFile(environ.c_str()); });
    out.push_back(Plain("read-host-environ", result,
                        absl::StrCat("read ", result.value, " bytes")));
    // The host's root directory, seen through /proc: a way out of a chroot.
    const std::string root = ProcPath(targets.host_pid, "root");
    result = Try([&] { return CountEntries(root.c_str()); });
    out.push_back(Plain("list-host-root", result,
                        absl::StrCat(result.value, " entries")));
  }

  const std::string& channel = targets.sibling_channel_path;
  if (channel.empty()) {
    out.push_back(Skipped("open-sibling-channel", "no sibling_channel_path"));
  } else {
    // Proves the channel writable with a zero-length write, which puts no
    // bytes into the sibling's stream.
    result = Try([&] {
      const int fd = ::open(channel.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd == -1) return -1L;
      const long written = ::write(fd, "", 0);
      const int error = errno;
      ::close(fd);
      errno = error;
      return written;
    });
    EscapeAttempt attempt = Plain("open-sibling-channel", result,
                                  "opened for writing, wrote 0 bytes");
    if (result.trapped == -1 && result.error == ENXIO) {
      absl::StrAppend(&attempt.outcome,
                      " (a socket cannot be opened through /proc: see "
                      "steal-sibling-channel)");
    }
    out.push_back(std::move(attempt));
  }
}

void AppendNetworkAttempts(const EscapeTargets& targets,
                           std::vector<EscapeAttempt>& out) {
  AppendTcpAttempts(targets.tcp_port, out);
  out.push_back(SocketAttempt("socket-inet6", AF_INET6, SOCK_STREAM, 0));
  out.push_back(
      SocketAttempt("socket-netlink", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
  // Protocol 0: the packet socket receives nothing even if it is created.
  out.push_back(SocketAttempt("socket-packet", AF_PACKET, SOCK_RAW, 0));
  out.push_back(UnixSocketAttempt(targets.unix_socket_path));
  out.push_back(AbstractSocketAttempt(targets.abstract_socket_name));
}

}  // namespace bulkhead::escape_internal
