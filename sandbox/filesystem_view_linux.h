// The helper's half of its filesystem view (Linux), used by the lockdown
// (lockdown_linux.cc) and the probe (sandbox_probe_linux.cc). Not installed.
//
// The view is built in the helper's own mount namespace, in the new root
// before the chroot: each source is opened without following symlinks and
// bound from /proc/self/fd/N (so that a rename or a symlink swapped in on the
// path after the open cannot change what is bound), each mount point is
// opened the same way, then
// - read-only binds are remounted ro,nosuid,nodev. Not noexec: a plugin's or
//   a model runtime's shared library must be mapped executable, and code the
//   helper could map from a read-only bind is code it could already copy into
//   its own memory (mprotect is allowed); noexec would only break loaders;
// - read-write binds rw,nosuid,nodev,noexec: nothing the helper writes runs;
// - each tmpfs is fresh, nosuid,nodev,noexec, with size= its cap;
// - devices are bound from the host's nodes, nosuid,noexec;
// and the flags the kernel locks on the source (a user namespace may not
// clear them) are kept. A source with mounts below it that the kernel will
// not let a user namespace uncover is bound with them, and they keep their
// own flags (only Landlock then holds a read-only entry's submounts
// read-only). The root tmpfs is then made read-only.
#ifndef BULKHEAD_SANDBOX_FILESYSTEM_VIEW_LINUX_H_
#define BULKHEAD_SANDBOX_FILESYSTEM_VIEW_LINUX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/platform_handle.h"
#include "sandbox/sandbox_policy.h"
#include "sandbox/sandbox_probe.h"

namespace bulkhead::sandbox::internal {

// Opens `path` (absolute) O_PATH without following any symlink on the way
// or at the end: openat2 with RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
// where the kernel has it (5.6), else a component walk from "/" with
// O_PATH | O_NOFOLLOW that refuses a component that is a symlink.
// InvalidArgument naming the path for a symlink, NotFound when it does not
// exist, the errno's Status otherwise.
absl::StatusOr<ScopedHandle> OpenWithoutSymlinks(const std::string& path);

// Mounts an empty tmpfs at `root` (a directory of this, private, mount
// namespace), builds `view` in it as the header describes, and makes it
// read-only. The caller then chroots into it. Returns a summary ("3 binds,
// 1 tmpfs, 1 device"); fails naming the entry.
absl::StatusOr<std::string> MountRootWithView(
    const char* root, const std::vector<FilesystemEntry>& view);

// Adds one Landlock path-beneath rule per entry (looked up in the current
// root, i.e. after the chroot) allowing exactly what the entry allows, within
// `handled` (the ruleset's handled rights). ro: read and execute; rw and
// tmpfs: read, write, make and remove files and directories (no symlinks,
// no device or fifo nodes); device: read and write the file.
absl::Status AddLandlockViewRules(int ruleset_fd, uint64_t handled,
                                  const std::vector<FilesystemEntry>& view);

// From inside the locked-down helper: checks each entry (ro: readable, not
// writable; rw: writable; tmpfs: writable, and the cap in force; device:
// usable) with the system calls the filter lets through.
std::vector<FilesystemEntryReport> ProbeFilesystemView(
    const std::vector<FilesystemEntry>& view);

// The view this process's LockDown built (empty before one, or without a
// view). Defined in lockdown_linux.cc.
const std::vector<FilesystemEntry>& LockdownFilesystemView();

}  // namespace bulkhead::sandbox::internal

#endif  // BULKHEAD_SANDBOX_FILESYSTEM_VIEW_LINUX_H_
