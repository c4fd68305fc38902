// Internal to the host library (not installed): the host's side of the file
// broker and of pre-opened files. A helper asks, over its channel, for a file
// it cannot open itself (HelperContext::OpenFile); the host decides by the
// role's SandboxPolicy::broker_rules, opens the file itself and passes the
// open file back. Chromium's broker process does the same for its renderers.
//
// What is opened: only regular files, never a directory, a FIFO, a device or
// a socket; never through a symbolic link (or, on Windows, a reparse point)
// at or below the rule's directory, whatever it points to; never by a path
// with `.`/`..` or empty components. The open itself never blocks the host's
// loop: it is made with O_NONBLOCK (a FIFO planted where a file was expected
// cannot hang it) and the file type is checked on the descriptor before it
// leaves.
//
// Thread: any (no state but the rate bucket, which is the caller's thread's).
#ifndef BULKHEAD_HOST_FILE_BROKER_H_
#define BULKHEAD_HOST_FILE_BROKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/platform_handle.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {

class FileBroker {
 public:
  // A helper may ask this fast: beyond `burst` requests at once, then
  // `per_second`, it gets RESOURCE_EXHAUSTED (each request costs the host an
  // open and a close, on its loop).
  struct RateLimit {
    double per_second = 2000;
    double burst = 512;
  };

  FileBroker(std::vector<sandbox::BrokerRule> rules, RateLimit rate);

  // Decides a request and opens the file: PERMISSION_DENIED, saying why,
  // when the path is longer than 4096 bytes, is not absolute or has
  // `.`/`..`/empty components, no rule
  // allows it (or not for writing: O_WRONLY, O_RDWR, O_CREAT, O_TRUNC,
  // O_APPEND need a write rule), the flags ask for more than a file to read
  // or write (O_PATH, O_DIRECTORY, O_TMPFILE, ...), the path crosses a
  // symbolic link or reparse point beneath the rule's directory, or it names
  // something other than a regular file. The OS's error otherwise (NOT_FOUND
  // for a missing file). The returned handle is close-on-exec, blocking
  // unless O_NONBLOCK was asked; a created file gets mode 0600. `now` feeds
  // the rate limit: RESOURCE_EXHAUSTED when the helper asks too fast. Every
  // message quotes the path with its control characters escaped
  // (PrintableText): the host logs refusals.
  absl::StatusOr<ScopedHandle> Open(absl::string_view path, int flags,
                                    absl::Time now);

  // Just the decision, without opening: the rule that allows `path` with
  // `flags` (its directory is where the open starts), or PERMISSION_DENIED.
  absl::StatusOr<sandbox::BrokerRule> Decide(absl::string_view path,
                                             int flags) const;

 private:
  // Open's open, once `rule` allowed `path`.
  static absl::StatusOr<ScopedHandle> OpenAllowed(
      const sandbox::BrokerRule& rule, absl::string_view path, int flags);

  std::vector<sandbox::BrokerRule> rules_;
  RateLimit rate_;
  double tokens_;
  absl::Time last_refill_ = absl::InfinitePast();
};

// Opens `components` (each a plain name) beneath the directory `dir` as the
// broker does (see above); `flags` already checked. Platform code.
absl::StatusOr<ScopedHandle> OpenBeneath(
    absl::string_view dir, const std::vector<std::string>& components,
    int flags);

// Opens a policy's pre-opened file at launch: its path, not following a
// symbolic link in its last component, read-only unless `file.write`;
// FAILED_PRECONDITION for a directory when `sandboxed`. Platform code.
absl::StatusOr<ScopedHandle> OpenPreopenedFile(
    const sandbox::PreopenedFile& file, bool sandboxed);

// FAILED_PRECONDITION when `handle` (not owned) is a directory and the helper
// is `sandboxed` (an app's LaunchOverrides::files); OK otherwise. Platform
// code.
absl::Status CheckHandleForHelper(NativeHandle handle, bool sandboxed);

// Tests: makes OpenBeneath take the fallback path (a component walk with
// O_NOFOLLOW) even where openat2 exists. Linux only; elsewhere a no-op.
void ForceBrokerComponentWalkForTesting(bool force);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_FILE_BROKER_H_
