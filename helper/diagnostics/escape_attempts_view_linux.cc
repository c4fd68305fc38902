// The escape attempts against a helper's filesystem view: reading outside it,
// writing through a read-only bind, `..` and symlinks and /proc/self/fd out
// of it, running what was written, filling the tmpfs past its cap.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "helper/diagnostics/escape_attempts.h"
#include "helper/diagnostics/escape_probe_linux.h"

namespace bulkhead::escape_internal {
namespace {

long ReadSome(int dir, const char* path) {
  const int fd = ::openat(dir, path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return -1;
  char buffer[256];
  const ssize_t n = ::read(fd, buffer, sizeof(buffer));
  const int error = errno;
  ::close(fd);
  errno = error;
  return n;
}

// How many bytes fit into a new file in `dir` before a write fails; the
// file is removed again. -1 when it cannot even be made.
long FillDirectory(const std::string& dir, uint64_t limit, int* error) {
  const std::string path = dir + "/.bulkhead-fill";
  const int fd =
      ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd == -1) return -1;
  static char chunk[1 << 16];
  uint64_t total = 0;
  while (total <= limit) {
    const ssize_t n = ::write(fd, chunk, sizeof(chunk));
    if (n <= 0) {
      *error = n == 0 ? 0 : errno;
      break;
    }
    total += static_cast<uint64_t>(n);
  }
  ::close(fd);
  ::unlink(path.c_str());
  return static_cast<long>(total);
}

}  // namespace

void AppendViewAttempts(const EscapeTargets& targets,
                        std::vector<EscapeAttempt>& out) {
  if (targets.view_outside_file.empty()) {
    out.push_back(Skipped("view-read-outside", "no view_outside_file"));
  } else {
    const SyscallResult result = Try(
        [&] { return ReadSome(AT_FDCWD, targets.view_outside_file.c_str()); });
    out.push_back(Plain("view-read-outside", result,
                        absl::StrCat("read ", targets.view_outside_file)));
  }

  const std::string ro = targets.view_ro_dir;
  SyscallResult result = Try([&] {
    const std::string path = ro + "/.bulkhead-escape";
    const int fd =
        ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd == -1) return -1L;
    ::close(fd);
    ::unlink(path.c_str());
    return 0L;
  });
  out.push_back(
      Plain("view-write-ro", result, absl::StrCat("created a file in ", ro)));

  // `..` past the bind: in the new root it leads to the view's own (empty)
  // directories, never to the host's.
  std::string up = ro;
  for (int i = 0; i < 16; ++i) up += "/..";
  result =
      Try([&] { return ReadSome(AT_FDCWD, (up + "/etc/passwd").c_str()); });
  out.push_back(Plain("view-ro-dotdot", result, "read /etc/passwd through .."));

  result = Try([&] {
    const int dir = ::open(ro.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir == -1) return -1L;
    const long n = ReadSome(dir, "../../../../../../../../etc/shadow");
    const int error = errno;
    ::close(dir);
    errno = error;
    return n;
  });
  out.push_back(
      Plain("view-ro-dirfd-dotdot", result, "read /etc/shadow through .."));

  result = Try([&] {
    const int dir = ::open(ro.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir == -1) return -1L;
    const long n = ReadSome(
        AT_FDCWD,
        absl::StrCat("/proc/self/fd/", dir, "/../../../etc/passwd").c_str());
    const int error = errno;
    ::close(dir);
    errno = error;
    return n;
  });
  out.push_back(Plain("view-proc-self-fd", result,
                      "read /etc/passwd through /proc/self/fd"));

  const std::string rw = targets.view_rw_dir;
  if (rw.empty()) {
    out.push_back(Skipped("view-symlink-in-rw", "no view_rw_dir"));
    out.push_back(Skipped("view-rw-exec", "no view_rw_dir"));
  } else {
    const std::string link = rw + "/.bulkhead-link";
    const std::string target = targets.view_outside_file.empty()
                                   ? std::string("/etc/shadow")
                                   : targets.view_outside_file;
    result = Try([&] {
      if (::symlink(target.c_str(), link.c_str()) != 0) return -1L;
      const long n = ReadSome(AT_FDCWD, link.c_str());
      const int error = errno;
      ::unlink(link.c_str());
      errno = error;
      return n;
    });
    out.push_back(Plain("view-symlink-in-rw", result,
                        absl::StrCat("read ", target, " through a symlink")));
    result = Try([&] {
      const std::string path = rw + "/.bulkhead-code";
      const int fd =
          ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0700);
      if (fd == -1) return -1L;
      const char ret = '\xc3';  // x86's `ret`; never run.
      long mapped = -1;
      int error = errno;
      if (::write(fd, &ret, 1) == 1) {
        void* code =
            ::mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
        error = errno;
        if (code != MAP_FAILED) {
          ::munmap(code, 4096);
          mapped = 0;
        }
      }
      ::close(fd);
      ::unlink(path.c_str());
      errno = error;
      return mapped;
    });
    out.push_back(
        Plain("view-rw-exec", result, "mapped a file it wrote executable"));
  }

  if (targets.view_tmpfs_dir.empty() || targets.view_tmpfs_bytes == 0) {
    out.push_back(Skipped("view-fill-tmpfs", "no view_tmpfs_dir"));
  } else {
    // Ask for twice the cap: stopping at the cap, rounded up to a page, is
    // blocked.
    int error = 0;
    const long wrote = FillDirectory(targets.view_tmpfs_dir,
                                     2 * targets.view_tmpfs_bytes, &error);
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const bool capped =
        wrote >= 0 && static_cast<uint64_t>(wrote) <=
                          (targets.view_tmpfs_bytes + page - 1) / page * page;
    out.push_back(
        {"view-fill-tmpfs", capped,
         wrote < 0
             ? absl::StrCat("SKIPPED: cannot write in ", targets.view_tmpfs_dir)
         : capped ? absl::StrCat(ErrorName(error), " after ", wrote,
                                 " bytes (cap ", targets.view_tmpfs_bytes, ")")
                  : absl::StrCat("SUCCEEDED: wrote ", wrote,
                                 " bytes past the cap of ",
                                 targets.view_tmpfs_bytes)});
  }
}

}  // namespace bulkhead::escape_internal
