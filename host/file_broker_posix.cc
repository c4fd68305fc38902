// The file broker's opens on POSIX: on Linux openat2 with RESOLVE_BENEATH,
// RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS where the kernel has it
// (5.6+); otherwise, and on every other POSIX system, a walk of the
// components, each opened with O_NOFOLLOW relative to the last (components
// never contain `..`, the broker refused those, so the walk cannot climb out).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/os_error.h"
#include "common/platform.h"
#include "host/file_broker.h"

#if defined(BULKHEAD_OS_LINUX)
#include <sys/syscall.h>
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#endif

namespace bulkhead {
namespace {

std::atomic<bool> force_walk{false};

#if defined(BULKHEAD_OS_LINUX)
// struct open_how and its flags (linux/openat2.h, which older headers lack).
struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
constexpr uint64_t kResolveNoMagicLinks = 0x02;
constexpr uint64_t kResolveNoSymlinks = 0x04;
constexpr uint64_t kResolveBeneath = 0x08;
#endif

// The flags every broker open uses on top of the helper's.
int OpenFlags(int flags) {
  return flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
}

absl::Status RefuseLink(absl::string_view dir,
                        const std::vector<std::string>& components) {
  return absl::PermissionDeniedError(absl::StrCat(
      "file broker: '", dir, "/", absl::StrJoin(components, "/"),
      "' crosses a symbolic link (never followed below the rule's directory)"));
}

// The open file, once it is known to be a regular file, in the mode the
// helper asked for (blocking unless it asked for O_NONBLOCK).
absl::StatusOr<ScopedHandle> CheckRegular(ScopedHandle file, int flags,
                                          absl::string_view what) {
  struct stat st;
  if (::fstat(file.get(), &st) != 0) return LastPosixErrorToStatus("fstat");
  if (!S_ISREG(st.st_mode)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "file broker: '", what,
        "' is not a regular file (only regular files are opened)"));
  }
  if ((flags & O_NONBLOCK) == 0) {
    const int status = ::fcntl(file.get(), F_GETFL);
    if (status < 0 || ::fcntl(file.get(), F_SETFL, status & ~O_NONBLOCK) != 0)
      return LastPosixErrorToStatus("fcntl(F_SETFL)");
  }
  return file;
}

// Opens `dir` itself: the rule's directory, the app's word.
absl::StatusOr<ScopedHandle> OpenDirectory(absl::string_view dir) {
  const std::string path(dir);
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return LastPosixErrorToStatus(absl::StrCat("open ", path));
  return ScopedHandle(fd);
}

absl::StatusOr<ScopedHandle> OpenByWalk(const ScopedHandle& root,
                                        absl::string_view dir,
                                        const std::vector<std::string>& parts,
                                        int flags) {
  int at = root.get();
  ScopedHandle current;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const int next = ::openat(at, parts[i].c_str(),
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      if (errno == ELOOP || errno == ENOTDIR) return RefuseLink(dir, parts);
      return LastPosixErrorToStatus(absl::StrCat("open ", parts[i]));
    }
    current.reset(next);
    at = current.get();
  }
  const int fd = ::openat(at, parts.back().c_str(), OpenFlags(flags), 0600);
  if (fd < 0) {
    if (errno == ELOOP) return RefuseLink(dir, parts);
    return LastPosixErrorToStatus(absl::StrCat("open ", parts.back()));
  }
  return ScopedHandle(fd);
}

}  // namespace

void ForceBrokerComponentWalkForTesting(bool force) { force_walk = force; }

absl::StatusOr<ScopedHandle> OpenBeneath(
    absl::string_view dir, const std::vector<std::string>& components,
    int flags) {
  if (components.empty()) {
    return absl::PermissionDeniedError("file broker: no file named");
  }
  absl::StatusOr<ScopedHandle> root = OpenDirectory(dir);
  if (!root.ok()) return root.status();
  const std::string relative = absl::StrJoin(components, "/");
  const std::string what = absl::StrCat(dir, "/", relative);
#if defined(BULKHEAD_OS_LINUX)
  if (!force_walk) {
    OpenHow how{};
    how.flags = static_cast<uint64_t>(OpenFlags(flags));
    how.mode = (flags & O_CREAT) != 0 ? 0600 : 0;
    how.resolve = kResolveBeneath | kResolveNoSymlinks | kResolveNoMagicLinks;
    const long fd = ::syscall(SYS_openat2, root->get(), relative.c_str(), &how,
                              sizeof(how));
    if (fd >= 0)
      return CheckRegular(ScopedHandle(static_cast<int>(fd)), flags, what);
    // ENOSYS: an older kernel; EPERM: a seccomp filter that does not know
    // it. Either way the walk below does the same job.
    if (errno == ELOOP || errno == EXDEV) return RefuseLink(dir, components);
    if (errno != ENOSYS && errno != EPERM) {
      return LastPosixErrorToStatus(absl::StrCat("open ", what));
    }
  }
#endif
  absl::StatusOr<ScopedHandle> file = OpenByWalk(*root, dir, components, flags);
  if (!file.ok()) return file.status();
  return CheckRegular(*std::move(file), flags, what);
}

absl::StatusOr<ScopedHandle> OpenPreopenedFile(
    const sandbox::PreopenedFile& file, bool sandboxed) {
  const int flags = (file.write ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW |
                    O_NONBLOCK | O_NOCTTY;
  const int fd = ::open(file.path.c_str(), flags);
  if (fd < 0) {
    return LastPosixErrorToStatus(
        absl::StrCat("pre-opened file '", file.name, "': open ", file.path));
  }
  ScopedHandle handle(fd);
  if (absl::Status fit = CheckHandleForHelper(fd, sandboxed); !fit.ok()) {
    return absl::Status(fit.code(),
                        absl::StrCat("pre-opened file '", file.name, "' (",
                                     file.path, "): ", fit.message()));
  }
  // Opened without blocking (a FIFO would have waited for a writer); used
  // blocking, as any file the helper opened itself.
  const int status = ::fcntl(fd, F_GETFL);
  if (status >= 0) ::fcntl(fd, F_SETFL, status & ~O_NONBLOCK);
  return handle;
}

absl::Status CheckHandleForHelper(NativeHandle handle, bool sandboxed) {
  struct stat st;
  if (::fstat(handle, &st) != 0) return LastPosixErrorToStatus("fstat");
  if (sandboxed && S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        "a directory cannot be handed to a sandboxed helper (its descriptor "
        "would lead out of the sandbox's root)");
  }
  return absl::OkStatus();
}

}  // namespace bulkhead
