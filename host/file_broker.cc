#include "host/file_broker.h"

#include <fcntl.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "sandbox/sandbox_policy_files.h"

#ifndef O_ACCMODE
#define O_ACCMODE (O_RDONLY | O_WRONLY | O_RDWR)
#endif

namespace bulkhead {
namespace {

// The flags a helper may ask for besides the access mode; anything else
// (O_PATH, O_DIRECTORY, O_TMPFILE, O_NOATIME, ...) is refused.
constexpr int kWriteFlags = O_CREAT | O_TRUNC | O_APPEND;
constexpr int kAllowedFlags = O_ACCMODE | kWriteFlags | O_EXCL
#if defined(O_CLOEXEC)
                              | O_CLOEXEC
#endif
#if defined(O_NOFOLLOW)
                              | O_NOFOLLOW
#endif
#if defined(O_NONBLOCK)
                              | O_NONBLOCK
#endif
#if defined(O_LARGEFILE)
                              | O_LARGEFILE
#endif
#if defined(O_NOCTTY)
                              | O_NOCTTY
#endif
#if defined(O_BINARY)
                              | O_BINARY
#endif
    ;

// The longest path a helper may send: PATH_MAX on Linux, and far beyond any
// file a rule would allow. A longer one is refused before it is looked at, so
// that no message (the host logs refusals) carries a megabyte of it.
constexpr size_t kMaxPathBytes = 4096;

// A refusal's or error's message made safe for the host's log: the path in it
// is the helper's, and may hold line feeds and terminal escapes.
absl::Status Printable(const absl::Status& status) {
  return absl::Status(status.code(), PrintableText(status.message()));
}

bool WantsWrite(int flags) {
  return (flags & O_ACCMODE) != O_RDONLY || (flags & kWriteFlags) != 0;
}

}  // namespace

FileBroker::FileBroker(std::vector<sandbox::BrokerRule> rules, RateLimit rate)
    : rules_(std::move(rules)), rate_(rate), tokens_(rate.burst) {}

absl::StatusOr<sandbox::BrokerRule> FileBroker::Decide(absl::string_view path,
                                                       int flags) const {
  if (path.size() > kMaxPathBytes) {
    return absl::PermissionDeniedError(
        absl::StrCat("file broker: a path of ", path.size(), " bytes (at most ",
                     kMaxPathBytes, ")"));
  }
  if (absl::Status valid = sandbox::internal::ValidateAbsolutePath(path);
      !valid.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("file broker: ", PrintableText(valid.message())));
  }
  if ((flags & ~kAllowedFlags) != 0 || (flags & O_ACCMODE) == O_ACCMODE) {
    return absl::PermissionDeniedError(absl::StrCat(
        "file broker: flags 0x", absl::Hex(flags),
        " ask for more than a file to read or write (only the access mode, "
        "O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_CLOEXEC, O_NOFOLLOW and "
        "O_NONBLOCK are allowed)"));
  }
  const bool write = WantsWrite(flags);
  bool readable = false;
  for (const sandbox::BrokerRule& rule : rules_) {
    const bool matches =
        rule.prefix ? path.size() > rule.path.size() &&
                          sandbox::internal::PathIsWithin(path, rule.path)
                    : sandbox::internal::PathIsWithin(path, rule.path) &&
                          sandbox::internal::PathIsWithin(rule.path, path);
    if (!matches) continue;
    if (write && !rule.write) {
      readable = true;
      continue;
    }
    return rule;
  }
  if (readable) {
    return absl::PermissionDeniedError(
        absl::StrCat("file broker: '", PrintableText(path),
                     "' may be opened for reading only"));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("file broker: no rule allows '", PrintableText(path), "'"));
}

absl::StatusOr<ScopedHandle> FileBroker::Open(absl::string_view path, int flags,
                                              absl::Time now) {
  if (last_refill_ != absl::InfinitePast()) {
    tokens_ = std::min(
        rate_.burst,
        tokens_ + absl::ToDoubleSeconds(now - last_refill_) * rate_.per_second);
  }
  last_refill_ = now;
  if (tokens_ < 1) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "file broker: more than ", rate_.per_second,
        " requests a second (burst ", rate_.burst, "); ask more slowly"));
  }
  tokens_ -= 1;
  absl::StatusOr<sandbox::BrokerRule> rule = Decide(path, flags);
  if (!rule.ok()) return rule.status();
  absl::StatusOr<ScopedHandle> file = OpenAllowed(*rule, path, flags);
  if (!file.ok()) return Printable(file.status());
  return file;
}

absl::StatusOr<ScopedHandle> FileBroker::OpenAllowed(
    const sandbox::BrokerRule& rule, absl::string_view path, int flags) {
  // The open starts at the rule's directory (the app's own word, trusted);
  // what lies below it is walked without following anything.
  std::string dir = rule.path;
  std::vector<std::string> all = sandbox::internal::PathComponents(path);
  // An exact rule for the root itself (which Build() accepts) names no file.
  if (all.empty())
    return absl::PermissionDeniedError("file broker: no file named");
  const size_t base = sandbox::internal::PathComponents(dir).size();
  if (!rule.prefix) {
    // An exact rule: its parent directory, then the one name.
    const size_t cut = dir.find_last_of(
#if defined(_WIN32)
        "\\/"
#else
        "/"
#endif
    );
    dir = cut == 0 ? dir.substr(0, 1) : dir.substr(0, cut);
#if defined(_WIN32)
    if (dir.size() == 2) dir += '\\';  // "C:" -> "C:\".
#endif
    std::vector<std::string> last = {all.back()};
    return OpenBeneath(dir, last, flags);
  }
  std::vector<std::string> below(all.begin() + static_cast<ptrdiff_t>(base),
                                 all.end());
  return OpenBeneath(dir, below, flags);
}

}  // namespace bulkhead
