#include "sandbox/filesystem_view_linux.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/os_error.h"
#include "sandbox/filesystem_view.h"

namespace bulkhead::sandbox {
namespace internal {
namespace {

using Kind = FilesystemEntry::Kind;

constexpr long kTmpfsMagic = 0x01021994;
constexpr char kProbeName[] = ".bulkhead-view-probe";

std::string FdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

absl::Status OpenRefusal(int error, const std::string& path) {
  if (error == ELOOP) {
    return absl::InvalidArgumentError(
        absl::StrCat("filesystem view path '", path,
                     "' goes through a symlink (a view never follows one; "
                     "name the real path)"));
  }
  if (error == ENOENT || error == ENOTDIR) {
    return absl::NotFoundError(
        absl::StrCat("filesystem view path '", path, "' does not exist"));
  }
  return PosixErrorToStatus(error, absl::StrCat("open '", path, "'"));
}

// Opens `name` in `dir` without following a symlink: O_NOFOLLOW opens a
// symlink itself (with O_PATH), which is then refused.
absl::StatusOr<ScopedHandle> OpenComponent(int dir, const std::string& name,
                                           const std::string& path) {
  const int fd = ::openat(dir, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return OpenRefusal(errno, path);
  ScopedHandle handle(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return OpenRefusal(errno, path);
  if (S_ISLNK(st.st_mode)) return OpenRefusal(ELOOP, path);
  return handle;
}

// The mount flags a bind of `fd`'s mount must keep: in a user namespace the
// kernel refuses a remount that would clear any of them (they are locked).
unsigned long LockedFlags(int fd) {
  struct statvfs vfs;
  if (::fstatvfs(fd, &vfs) != 0) return 0;
  unsigned long flags = 0;
  const std::pair<unsigned long, unsigned long> map[] = {
      {ST_RDONLY, MS_RDONLY},    {ST_NOSUID, MS_NOSUID},
      {ST_NODEV, MS_NODEV},      {ST_NOEXEC, MS_NOEXEC},
      {ST_NOATIME, MS_NOATIME},  {ST_NODIRATIME, MS_NODIRATIME},
      {ST_RELATIME, MS_RELATIME}};
  for (const auto& [st, ms] : map) {
    if ((vfs.f_flag & st) != 0) flags |= ms;
  }
  return flags;
}

bool IsDirectory(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

// The device numbers of the four devices a view may have (Linux's mem
// major, 1).
std::optional<dev_t> ExpectedDevice(const std::string& path) {
  if (path == "/dev/null") return makedev(1, 3);
  if (path == "/dev/zero") return makedev(1, 5);
  if (path == "/dev/random") return makedev(1, 8);
  if (path == "/dev/urandom") return makedev(1, 9);
  return std::nullopt;
}

absl::Status CheckDevice(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return LastPosixErrorToStatus("fstat");
  std::optional<dev_t> expected = ExpectedDevice(path);
  if (!S_ISCHR(st.st_mode) || !expected.has_value() ||
      st.st_rdev != *expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("filesystem view device '", path,
                     "' is not the character device of that name"));
  }
  return absl::OkStatus();
}

// Makes the directories on the way to `path` inside `root` (empty
// directories of our own tmpfs, or existing ones inside a bind) and returns
// the parent's descriptor; never follows a symlink.
absl::StatusOr<ScopedHandle> MakeParents(int root, const std::string& path,
                                         std::string* last) {
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(path).substr(1), '/');
  *last = parts.back();
  parts.pop_back();
  ScopedHandle dir(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  if (!dir.is_valid()) return LastPosixErrorToStatus("dup");
  for (const std::string& part : parts) {
    if (::mkdirat(dir.get(), part.c_str(), 0755) != 0 && errno != EEXIST &&
        errno != EROFS) {
      return LastPosixErrorToStatus(absl::StrCat("mkdir for '", path, "'"));
    }
    absl::StatusOr<ScopedHandle> next = OpenComponent(dir.get(), part, path);
    if (!next.ok()) return next.status();
    dir = *std::move(next);
  }
  return dir;
}

struct Prepared {
  const FilesystemEntry* entry;
  ScopedHandle source;  // Not for a tmpfs.
  bool directory = true;
  unsigned long locked = 0;
};

absl::Status MountEntry(int root, Prepared& item) {
  const FilesystemEntry& entry = *item.entry;
  auto failed = [&](absl::string_view what) {
    const int error = errno;
    return PosixErrorToStatus(
        error, absl::StrCat("filesystem view entry '", entry.path, "' (",
                            FilesystemKindName(entry.kind), "): ", what));
  };
  std::string last;
  absl::StatusOr<ScopedHandle> parent = MakeParents(root, entry.path, &last);
  if (!parent.ok()) return parent.status();
  if (item.directory) {
    if (::mkdirat(parent->get(), last.c_str(), 0755) != 0 && errno != EEXIST &&
        errno != EROFS) {
      return failed("mkdir mount point");
    }
  } else {
    const int fd =
        ::openat(parent->get(), last.c_str(),
                 O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (fd >= 0) {
      ::close(fd);
    } else if (errno != EEXIST && errno != EROFS) {
      return failed("create mount point");
    }
  }
  absl::StatusOr<ScopedHandle> target =
      OpenComponent(parent->get(), last, entry.path);
  if (!target.ok()) return target.status();
  if (IsDirectory(target->get()) != item.directory) {
    return absl::InvalidArgumentError(
        absl::StrCat("filesystem view entry '", entry.path,
                     "': the mount point inside the view is not of the "
                     "source's kind (file or directory)"));
  }
  if (entry.kind == Kind::kTmpfs) {
    const uint64_t inodes = std::max<uint64_t>(64, entry.size_bytes / 4096);
    const std::string options = absl::StrCat(
        "size=", entry.size_bytes, ",nr_inodes=", inodes, ",mode=0755");
    if (::mount("bulkhead-tmpfs", FdPath(target->get()).c_str(), "tmpfs",
                MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str()) != 0) {
      return failed("mount tmpfs");
    }
    return absl::OkStatus();
  }
  const std::string source = FdPath(item.source.get());
  const std::string at = FdPath(target->get());
  // Not recursive: mounts below the source are not brought along. A user
  // namespace refuses that (EINVAL) when they hide something; then they come
  // along with their own flags (the remount below covers the top one only;
  // Landlock, where the kernel has it, still allows a read-only entry no
  // write below it).
  if (::mount(source.c_str(), at.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    if (errno != EINVAL || ::mount(source.c_str(), at.c_str(), nullptr,
                                   MS_BIND | MS_REC, nullptr) != 0) {
      return failed("bind mount");
    }
  }
  // The bind's own root, to remount it (the earlier descriptor names the
  // mount point under it).
  absl::StatusOr<ScopedHandle> mounted =
      OpenComponent(parent->get(), last, entry.path);
  if (!mounted.ok()) return mounted.status();
  unsigned long flags = MS_REMOUNT | MS_BIND | item.locked;
  switch (entry.kind) {
    case Kind::kReadOnly:
      flags |= MS_RDONLY | MS_NOSUID | MS_NODEV;
      break;
    case Kind::kReadWrite:
      flags |= MS_NOSUID | MS_NODEV | MS_NOEXEC;
      break;
    case Kind::kDevice:
      flags |= MS_NOSUID | MS_NOEXEC;
      break;
    case Kind::kTmpfs:
      break;
  }
  if (::mount(nullptr, FdPath(mounted->get()).c_str(), nullptr, flags,
              nullptr) != 0) {
    return failed("remount");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ScopedHandle> OpenWithoutSymlinks(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("filesystem view path '", path, "' is not absolute"));
  }
  open_how how = {};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const long fd =
      ::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof(how));
  if (fd >= 0) {
    // With O_PATH | O_NOFOLLOW, a symlink at the end is opened itself, even
    // under RESOLVE_NO_SYMLINKS.
    ScopedHandle handle(static_cast<int>(fd));
    struct stat st;
    if (::fstat(handle.get(), &st) != 0) return OpenRefusal(errno, path);
    if (S_ISLNK(st.st_mode)) return OpenRefusal(ELOOP, path);
    return handle;
  }
  if (errno != ENOSYS) return OpenRefusal(errno, path);
  // Before 5.6: one component at a time.
  ScopedHandle dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.is_valid()) return LastPosixErrorToStatus("open /");
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(path).substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("filesystem view path '", path, "' is not normalised"));
    }
    absl::StatusOr<ScopedHandle> next =
        OpenComponent(dir.get(), std::string(part), path);
    if (!next.ok()) return next.status();
    dir = *std::move(next);
  }
  return dir;
}

absl::StatusOr<std::string> MountRootWithView(
    const char* root, const std::vector<FilesystemEntry>& view) {
  // Parents before what is inside them.
  std::vector<Prepared> items;
  for (const FilesystemEntry& entry : view) {
    items.push_back({&entry, ScopedHandle(), true, 0});
  }
  std::sort(items.begin(), items.end(),
            [](const Prepared& a, const Prepared& b) {
              return a.entry->path < b.entry->path;
            });
  // The sources first: the new root may cover them (a view of /tmp/x when
  // the root is mounted on /tmp).
  int binds = 0, tmpfs = 0, devices = 0;
  for (Prepared& item : items) {
    if (item.entry->kind == Kind::kTmpfs) {
      ++tmpfs;
      continue;
    }
    absl::StatusOr<ScopedHandle> source = OpenWithoutSymlinks(item.entry->path);
    if (!source.ok()) return source.status();
    item.source = *std::move(source);
    item.directory = IsDirectory(item.source.get());
    item.locked = LockedFlags(item.source.get());
    if (item.entry->kind == Kind::kDevice) {
      if (absl::Status ok = CheckDevice(item.source.get(), item.entry->path);
          !ok.ok()) {
        return ok;
      }
      ++devices;
    } else {
      ++binds;
    }
  }
  // Room for the mount points and the directories leading to them.
  size_t inodes = 8;
  for (const FilesystemEntry& entry : view) {
    inodes += std::count(entry.path.begin(), entry.path.end(), '/') + 1;
  }
  const std::string options =
      absl::StrCat("size=64k,nr_inodes=", inodes, ",mode=0755");
  if (::mount("bulkhead-root", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              options.c_str()) != 0) {
    return LastPosixErrorToStatus(absl::StrCat("mount tmpfs on ", root));
  }
  ScopedHandle root_fd(::open(root, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.is_valid()) return LastPosixErrorToStatus("open the new root");
  for (Prepared& item : items) {
    if (absl::Status ok = MountEntry(root_fd.get(), item); !ok.ok()) return ok;
  }
  if (::mount(nullptr, root, nullptr,
              MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0) {
    return LastPosixErrorToStatus("remount the new root read-only");
  }
  return absl::StrCat("read-only tmpfs with a view of ", binds, " bind(s), ",
                      tmpfs, " tmpfs, ", devices, " device(s)");
}

absl::Status AddLandlockViewRules(int ruleset_fd, uint64_t handled,
                                  const std::vector<FilesystemEntry>& view) {
  constexpr uint64_t kRead =
      LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  // REFER (ABI 2) lets a file move between directories of the view; the
  // kernel still refuses a move that would give it more rights.
  constexpr uint64_t kRefer = uint64_t{1} << 13;
  constexpr uint64_t kTruncate = uint64_t{1} << 14;  // ABI 3.
  constexpr uint64_t kWrite =
      LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
      LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
      LANDLOCK_ACCESS_FS_MAKE_REG | kRefer | kTruncate;
  // What a rule on a file (not a directory) may carry.
  constexpr uint64_t kFileRights =
      LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
      LANDLOCK_ACCESS_FS_READ_FILE | kTruncate | (uint64_t{1} << 15);
  for (const FilesystemEntry& entry : view) {
    uint64_t allowed = 0;
    switch (entry.kind) {
      case Kind::kReadOnly:
        allowed = kRead | LANDLOCK_ACCESS_FS_EXECUTE;
        break;
      case Kind::kReadWrite:
      case Kind::kTmpfs:
        allowed = kRead | kWrite;
        break;
      case Kind::kDevice:
        allowed = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE;
        break;
    }
    absl::StatusOr<ScopedHandle> opened = OpenWithoutSymlinks(entry.path);
    if (!opened.ok()) return opened.status();
    ScopedHandle fd = *std::move(opened);
    if (!IsDirectory(fd.get())) allowed &= kFileRights;
    landlock_path_beneath_attr rule = {};
    rule.allowed_access = allowed & handled;
    rule.parent_fd = fd.get();
    if (::syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH,
                  &rule, 0) != 0) {
      return LastPosixErrorToStatus(
          absl::StrCat("landlock_add_rule '", entry.path, "'"));
    }
  }
  return absl::OkStatus();
}

namespace {

std::string ErrorName(int error) {
  switch (error) {
    case EROFS:
      return "EROFS";
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case ENOSPC:
      return "ENOSPC";
    case ENOENT:
      return "ENOENT";
    default:
      return absl::StrCat("errno ", error);
  }
}

// Whether a file can be made in directory `dir` (then removed again when
// `can_unlink`, i.e. the filter lets unlinkat through).
bool CanCreateIn(int dir, bool can_unlink, int* error) {
  const int fd =
      ::openat(dir, kProbeName,
               O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = errno;
    return false;
  }
  const bool wrote = ::write(fd, "x", 1) == 1;
  if (!wrote) *error = errno;
  ::close(fd);
  if (can_unlink) ::unlinkat(dir, kProbeName, 0);
  return wrote;
}

FilesystemEntryReport ProbeEntry(const FilesystemEntry& entry,
                                 bool can_unlink) {
  FilesystemEntryReport report;
  report.path = entry.path;
  report.kind = FilesystemKindName(entry.kind);
  const int fd = ::open(entry.path.c_str(),
                        (entry.kind == Kind::kDevice ? O_RDWR : O_RDONLY) |
                            O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    report.detail = absl::StrCat("cannot open: ", ErrorName(errno));
    return report;
  }
  ScopedHandle handle(fd);
  const bool directory = IsDirectory(fd);
  int error = 0;
  switch (entry.kind) {
    case Kind::kReadOnly: {
      bool writable = false;
      if (directory) {
        writable = CanCreateIn(fd, can_unlink, &error);
      } else {
        const int w =
            ::open(entry.path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        writable = w >= 0;
        if (w >= 0) ::close(w);
        error = errno;
      }
      char byte;
      const bool readable = directory || ::read(fd, &byte, 1) >= 0;
      report.in_force = readable && !writable;
      report.detail =
          writable ? "WRITABLE"
          : !readable
              ? absl::StrCat("not readable (", ErrorName(errno), ")")
              : absl::StrCat("readable, not writable (", ErrorName(error), ")");
      break;
    }
    case Kind::kReadWrite: {
      bool writable = false;
      if (directory) {
        writable = CanCreateIn(fd, can_unlink, &error);
      } else {
        const int w = ::open(entry.path.c_str(),
                             O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
        writable = w >= 0;
        if (w >= 0) ::close(w);
        error = errno;
      }
      report.in_force = writable;
      report.detail =
          writable ? "readable, writable"
                   : absl::StrCat("not writable (", ErrorName(error), ")");
      break;
    }
    case Kind::kTmpfs: {
      struct statfs fs;
      const bool is_tmpfs = ::fstatfs(fd, &fs) == 0 && fs.f_type == kTmpfsMagic;
      const uint64_t cap =
          is_tmpfs ? static_cast<uint64_t>(fs.f_blocks) * fs.f_bsize : 0;
      const bool writable = CanCreateIn(fd, can_unlink, &error);
      // The kernel rounds the size up to whole pages.
      const bool capped = is_tmpfs && cap >= entry.size_bytes &&
                          cap < entry.size_bytes + fs.f_bsize;
      report.in_force = writable && capped;
      report.detail =
          !is_tmpfs ? "not a tmpfs"
          : !capped
              ? absl::StrCat("cap ", cap, " bytes, not ", entry.size_bytes)
          : writable ? absl::StrCat("writable, capped at ", cap, " bytes")
                     : absl::StrCat("not writable (", ErrorName(error), ")");
      break;
    }
    case Kind::kDevice: {
      char byte = 1;
      const bool wrote = ::write(fd, &byte, 1) == 1;
      const ssize_t got = ::read(fd, &byte, 1);
      const bool usable =
          entry.path == "/dev/null" ? wrote && got == 0 : got == 1;
      report.in_force = usable;
      report.detail = usable ? "usable" : "not usable";
      break;
    }
  }
  return report;
}

}  // namespace

std::vector<FilesystemEntryReport> ProbeFilesystemView(
    const std::vector<FilesystemEntry>& view) {
  // unlinkat is in the filter only when something is writable.
  const bool can_unlink =
      std::any_of(view.begin(), view.end(), [](const FilesystemEntry& entry) {
        return entry.kind == Kind::kReadWrite || entry.kind == Kind::kTmpfs;
      });
  std::vector<FilesystemEntryReport> reports;
  for (const FilesystemEntry& entry : view) {
    reports.push_back(ProbeEntry(entry, can_unlink));
  }
  return reports;
}

}  // namespace internal

absl::Status CheckFilesystemViewAtLaunch(
    const std::vector<FilesystemEntry>& view) {
  if (absl::Status ok = CheckFilesystemView(view); !ok.ok()) return ok;
  for (const FilesystemEntry& entry : view) {
    if (entry.kind == FilesystemEntry::Kind::kTmpfs) continue;
    absl::StatusOr<ScopedHandle> fd = internal::OpenWithoutSymlinks(entry.path);
    if (!fd.ok()) return fd.status();
    if (entry.kind == FilesystemEntry::Kind::kDevice) {
      if (absl::Status ok = internal::CheckDevice(fd->get(), entry.path);
          !ok.ok()) {
        return ok;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace bulkhead::sandbox
