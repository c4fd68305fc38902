// Absolute-URL parsing for the built-in "network" role.

#ifndef BULKHEAD_HELPER_ROLES_URL_PARSER_H_
#define BULKHEAD_HELPER_ROLES_URL_PARSER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sample_roles/work.pb.h"

namespace bulkhead::roles {

// Parses an absolute URL scheme://[userinfo@]host[:port][/path][?query][#frag].
//
// - The URL must be printable ASCII (percent-encode anything else).
// - scheme matches [A-Za-z][A-Za-z0-9+.-]* and is lowercased.
// - host is lowercased and non-empty: either a name of ASCII letters, digits,
//   '-', '.' and '_' (internationalized names must be in punycode), or an IPv6
//   literal in brackets, kept with its brackets (e.g. "[::1]").
// - port, if present, is 1..65535 in decimal digits; if absent it defaults to
//   80 for http and ws, 443 for https and wss, 21 for ftp, and 0 otherwise.
// - path starts with '/' and defaults to "/"; query excludes the '?'.
// - userinfo and fragment are validated only as above and then dropped.
//
// Returns InvalidArgumentError describing the first problem found.
absl::StatusOr<roles::ParsedUrl> ParseUrl(absl::string_view url);

// Parses each of `request.urls` with ParseUrl. `parsed` and `errors` have one
// entry per input, in order: the result and "" where it parsed, or an empty
// ParsedUrl and the error message where it did not.
//
// Returns InvalidArgumentError if there are more than 10000 URLs.
absl::StatusOr<roles::ParseUrlsResponse> ParseUrls(
    const roles::ParseUrlsRequest& request);

}  // namespace bulkhead::roles

#endif  // BULKHEAD_HELPER_ROLES_URL_PARSER_H_
