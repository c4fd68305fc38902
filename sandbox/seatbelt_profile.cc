// SandboxPolicy -> SBPL (seatbelt_profile.h). Each rule is written with a
// comment in the profile itself saying why it is there, so that a profile
// dumped from a helper explains itself.
#include "sandbox/seatbelt_profile.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "sandbox/filesystem_view.h"

namespace bulkhead::sandbox {
namespace {

using Kind = FilesystemEntry::Kind;

// OK when SBPL can hold `path` in a string that means the same path: it is
// absolute (seatbelt matches absolute paths only), and has no NUL (the
// profile is a C string) and no line break (it would end the `;` comment
// that names the tmpfs entries, and the rest of the line would be read as
// rules).
absl::Status CheckExpressible(const FilesystemEntry& entry) {
  const std::string& path = entry.path;
  auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seatbelt profile: filesystem view entry \"", absl::CHexEscape(path),
        "\" (", FilesystemKindName(entry.kind), "): ", why));
  };
  if (path.empty() || path.front() != '/') {
    return refuse("not an absolute path");
  }
  if (path.find('\0') != std::string::npos) return refuse("holds a NUL");
  if (path.find_first_of("\n\r") != std::string::npos) {
    return refuse("holds a line break");
  }
  return absl::OkStatus();
}

// `text` as an SBPL (TinyScheme) string literal: in double quotes, with '"'
// and '\' escaped by a backslash; every other byte stands for itself.
std::string Quote(absl::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

}  // namespace

bool SeatbeltProfileNeedsScratchDir(const SandboxPolicy& policy) {
  return std::any_of(
      policy.filesystem.begin(), policy.filesystem.end(),
      [](const FilesystemEntry& entry) { return entry.kind == Kind::kTmpfs; });
}

absl::StatusOr<std::string> SeatbeltProfile(const SandboxPolicy& policy,
                                            int64_t own_pid) {
  for (const FilesystemEntry& entry : policy.filesystem) {
    if (absl::Status ok = CheckExpressible(entry); !ok.ok()) return ok;
  }
  if (absl::Status ok = CheckFilesystemView(policy.filesystem); !ok.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("seatbelt profile: ", ok.message()));
  }

  std::string out = "(version 1)\n";
  auto rule = [&out](absl::string_view why, absl::string_view text) {
    absl::StrAppend(&out, "; ", why, "\n", text, "\n");
  };
  rule("Everything not allowed below is denied.", "(deny default)");
  rule(
      "Allowed even under (deny default) (Chromium's renderer.sb, "
      "crbug.com/799149): other processes' information, I/O Kit properties, "
      "NVRAM.",
      "(deny process-info* iokit-get-properties nvram*)");
  rule("abort() and raise() signal the process itself (crbug.com/20370).",
       "(allow signal (target self))");
  rule(
      "Its own process information, as the Linux allowlist lets it query its "
      "own pid; the deny above keeps it from everyone else's.",
      "(allow process-info* (target self))");
  rule(
      "libSystem and libuv read machine facts (CPU count, page size, OS "
      "version); reading only, sysctl-write stays denied.",
      "(allow sysctl-read)");
  rule(
      "Shared memory regions for large messages: ipc/shared_memory_mac.cc "
      "opens \"/bh.<pid>.<n>\" and unlinks it at once; only its own pid's.",
      absl::StrCat(
          "(allow ipc-posix-shm-read-data ipc-posix-shm-read-metadata "
          "ipc-posix-shm-write-create ipc-posix-shm-write-data "
          "ipc-posix-shm-write-unlink (ipc-posix-name-regex #\"^/bh\\.",
          own_pid, "\\.\"))"));
  absl::StrAppend(
      &out,
      "; No mach-lookup: the helper talks to its host over the socket it "
      "inherited.\n"
      "; No process-exec: it already runs its binary, and runs no other.\n");
  if (AllowsFork(policy)) {
    rule("The policy's allowlist has fork, vfork, clone or clone3 outright.",
         "(allow process-fork)");
  } else {
    absl::StrAppend(&out,
                    "; No process-fork: the policy's allowlist has no fork.\n");
  }

  std::vector<std::string> scratch_paths;
  std::vector<std::string> writable;
  for (const FilesystemEntry& entry : policy.filesystem) {
    const std::string path = Quote(entry.path);
    switch (entry.kind) {
      case Kind::kReadOnly:
        rule("Read-only view entry; its code may be mapped.",
             absl::StrCat("(allow file-read* file-map-executable (subpath ",
                          path, "))"));
        break;
      case Kind::kReadWrite:
        rule("Read-write view entry.",
             absl::StrCat("(allow file-read* file-write* (subpath ", path,
                          "))"));
        writable.push_back(path);
        break;
      case Kind::kDevice:
        rule("Device: read and written, as Landlock allows on Linux.",
             absl::StrCat("(allow file-read-data file-write-data (literal ",
                          path, "))"));
        break;
      case Kind::kTmpfs:
        scratch_paths.push_back(path);
        break;
    }
  }
  // After the allows, so that it wins over a read-only directory's
  // file-map-executable (SBPL: the last rule that matches decides).
  for (const std::string& path : writable) {
    rule(
        "Nothing in a read-write entry is mapped executable, as Linux mounts "
        "it noexec, even inside a read-only entry.",
        absl::StrCat("(deny file-map-executable (subpath ", path, "))"));
  }
  if (!scratch_paths.empty()) {
    rule(absl::StrCat("The tmpfs entries ", absl::StrJoin(scratch_paths, ", "),
                      ": one per-helper directory, the parameter ",
                      kSeatbeltScratchDirParameter, " (no size cap)."),
         absl::StrCat("(allow file-read* file-write* (subpath (param \"",
                      kSeatbeltScratchDirParameter, "\")))"));
    rule(
        "Nothing written there is mapped executable (Linux's tmpfs is noexec).",
        absl::StrCat("(deny file-map-executable (subpath (param \"",
                     kSeatbeltScratchDirParameter, "\")))"));
  }

  if (ReachesHostNetwork(policy)) {
    rule("Network::kHost: the host's network.", "(allow network*)");
  } else {
    absl::StrAppend(&out,
                    "; No network: Network::kNone, or the net-ns layer on.\n");
  }
  return out;
}

}  // namespace bulkhead::sandbox
