#include "sample_roles/url_parser.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bulkhead::roles {
namespace {

constexpr int kMaxUrls = 10000;
constexpr uint32_t kMaxPort = 65535;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

bool IsSchemeChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' ||
         c == '-' || c == '.';
}

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_';
}

bool IsAllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Dotted-quad IPv4 address without leading zeros.
bool IsIpv4(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view part : parts) {
    if (part.empty() || part.size() > 3 || !IsAllDigits(part)) return false;
    if (part.size() > 1 && part[0] == '0') return false;
    int value = 0;
    for (char c : part) value = value * 10 + (c - '0');
    if (value > 255) return false;
  }
  return true;
}

// Adds the 16-bit groups of a ':'-separated run of IPv6 groups to `*groups`;
// the last group may be an embedded IPv4 address (two groups) if allowed.
bool CountIpv6Groups(absl::string_view run, bool allow_ipv4, int* groups) {
  if (run.empty()) return true;
  std::vector<absl::string_view> pieces = absl::StrSplit(run, ':');
  for (size_t i = 0; i < pieces.size(); ++i) {
    absl::string_view piece = pieces[i];
    if (allow_ipv4 && i + 1 == pieces.size() &&
        piece.find('.') != absl::string_view::npos) {
      if (!IsIpv4(piece)) return false;
      *groups += 2;
      continue;
    }
    if (piece.empty() || piece.size() > 4) return false;
    for (char c : piece) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
    }
    ++*groups;
  }
  return true;
}

// RFC 4291 textual IPv6 address (no zone identifier).
bool IsIpv6(absl::string_view s) {
  const size_t gap = s.find("::");
  if (gap == absl::string_view::npos) {
    int groups = 0;
    return CountIpv6Groups(s, /*allow_ipv4=*/true, &groups) && groups == 8;
  }
  if (s.find("::", gap + 1) != absl::string_view::npos) return false;
  int groups = 0;
  return CountIpv6Groups(s.substr(0, gap), /*allow_ipv4=*/false, &groups) &&
         CountIpv6Groups(s.substr(gap + 2), /*allow_ipv4=*/true, &groups) &&
         groups <= 7;
}

uint32_t DefaultPort(absl::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  if (scheme == "ftp") return 21;
  return 0;
}

absl::StatusOr<uint32_t> ParsePort(absl::string_view digits) {
  if (digits.empty()) return Invalid("empty port after ':'");
  if (!IsAllDigits(digits)) {
    return Invalid(absl::StrCat("port \"", digits, "\" is not a number"));
  }
  uint32_t port = 0;
  for (char c : digits) {
    port = port * 10 + static_cast<uint32_t>(c - '0');
    if (port > kMaxPort) break;  // Stop before the value can overflow.
  }
  if (port == 0 || port > kMaxPort) {
    return Invalid(absl::StrCat("port ", digits, " is outside 1..65535"));
  }
  return port;
}

// Parses "host[:port]" into `url`'s host and port fields.
absl::Status ParseHostPort(absl::string_view host_port, roles::ParsedUrl* url) {
  absl::string_view host;
  absl::string_view rest;  // Either empty or ":port".
  if (!host_port.empty() && host_port[0] == '[') {
    const size_t close = host_port.find(']');
    if (close == absl::string_view::npos) {
      return Invalid("IPv6 literal is missing its closing ']'");
    }
    host = host_port.substr(0, close + 1);
    rest = host_port.substr(close + 1);
    if (!IsIpv6(host.substr(1, host.size() - 2))) {
      return Invalid(absl::StrCat("invalid IPv6 literal ", host));
    }
    if (!rest.empty() && rest[0] != ':') {
      return Invalid("unexpected characters after IPv6 literal");
    }
  } else {
    const size_t colon = host_port.find(':');
    host = host_port.substr(0, colon);
    if (colon != absl::string_view::npos) rest = host_port.substr(colon);
    if (host.empty()) return Invalid("empty host");
    for (char c : host) {
      if (!IsHostNameChar(c)) {
        return Invalid(absl::StrCat("invalid character '",
                                    absl::string_view(&c, 1), "' in host"));
      }
    }
  }
  url->set_host(absl::AsciiStrToLower(host));
  if (rest.empty()) {
    url->set_port(DefaultPort(url->scheme()));
    return absl::OkStatus();
  }
  absl::StatusOr<uint32_t> port = ParsePort(rest.substr(1));
  if (!port.ok()) return port.status();
  url->set_port(*port);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<roles::ParsedUrl> ParseUrl(absl::string_view url) {
  if (url.empty()) return Invalid("empty URL");
  for (size_t i = 0; i < url.size(); ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (c <= 0x20 || c >= 0x7F) {
      return Invalid(absl::StrCat(
          "byte 0x", absl::Hex(c, absl::kZeroPad2), " at offset ", i,
          " is not printable ASCII (spaces and other bytes must be "
          "percent-encoded)"));
    }
  }

  roles::ParsedUrl parsed;
  const size_t colon = url.find_first_of(":/?#");
  if (colon == absl::string_view::npos || url[colon] != ':') {
    return Invalid("missing scheme (only absolute URLs are supported)");
  }
  absl::string_view scheme = url.substr(0, colon);
  if (scheme.empty() ||
      !absl::ascii_isalpha(static_cast<unsigned char>(scheme[0]))) {
    return Invalid("scheme must start with a letter");
  }
  for (char c : scheme) {
    if (!IsSchemeChar(c)) {
      return Invalid(absl::StrCat("invalid character '",
                                  absl::string_view(&c, 1), "' in scheme"));
    }
  }
  parsed.set_scheme(absl::AsciiStrToLower(scheme));
  absl::string_view rest = url.substr(colon + 1);
  if (rest.substr(0, 2) != "//") {
    return Invalid(absl::StrCat("expected \"//\" after \"", scheme, ":\""));
  }
  rest.remove_prefix(2);

  // Drop the fragment, then split off the query, then the authority.
  rest = rest.substr(0, rest.find('#'));
  if (const size_t q = rest.find('?'); q != absl::string_view::npos) {
    parsed.set_query(std::string(rest.substr(q + 1)));
    rest = rest.substr(0, q);
  }
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  parsed.set_path(slash == absl::string_view::npos
                      ? std::string("/")
                      : std::string(rest.substr(slash)));

  // userinfo may not contain '@' unencoded, so the last one ends it.
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (absl::Status s = ParseHostPort(authority, &parsed); !s.ok()) return s;
  return parsed;
}

absl::StatusOr<roles::ParseUrlsResponse> ParseUrls(
    const roles::ParseUrlsRequest& request) {
  if (request.urls_size() > kMaxUrls) {
    return absl::InvalidArgumentError(absl::StrCat(
        "got ", request.urls_size(), " URLs; the limit is ", kMaxUrls));
  }
  roles::ParseUrlsResponse response;
  for (const std::string& url : request.urls()) {
    absl::StatusOr<roles::ParsedUrl> parsed = ParseUrl(url);
    if (parsed.ok()) {
      *response.add_parsed() = *std::move(parsed);
      response.add_errors();
    } else {
      response.add_parsed();
      response.add_errors(std::string(parsed.status().message()));
    }
  }
  return response;
}

}  // namespace bulkhead::roles
